#pragma once
// Command-line options, parsed by CAF's own config machinery (`--port=8080`, `--help`).
// system_config is a caf::actor_system_config, so one object configures both the server and
// the actor system (scheduler threads and policy included).

#include <fastactor/config.hpp>

#include <caf/actor_system_config.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fastactor {

namespace detail {
struct raw_options;
}  // namespace detail

/// Outcome of parse_options().
enum class parse_outcome {
  run,  ///< options are valid: start
  help_shown,  ///< --help was given and printed: exit 0
  invalid,  ///< `error` says what was wrong: exit non-zero
};

/// What parse_options() found.
struct parse_result {
  parse_outcome outcome = parse_outcome::run;  ///< go on, exit 0, or exit non-zero
  std::string error;  ///< with `invalid`: what was wrong
};

/// CAF's actor-system config with fastactor's options added: parse the command line into it
/// (parse_options), then make the actor system from it and the server from its `server`.
class system_config : public caf::actor_system_config {
public:
  system_config();
  ~system_config() override;

  /// The server part, filled in by parse_options().
  server_config server;

  /// Adds an option to the "global" group (shown by --help), for programs that want more.
  template <class T>
  system_config& add_option(T& ref, const char* name, const char* description) {
    opt_group{custom_options_, "global"}.add(ref, name, description);
    return *this;
  }

private:
  friend parse_result parse_options(system_config&, int, char**);

  // What CAF's parser stores into (server/options.cpp); parse_options() checks it into
  // `server`. On the heap: the options CAF holds point into it.
  std::unique_ptr<detail::raw_options> raw_;
};

/// Parses the command line into `cfg` (server options and CAF's own), checks ranges and
/// applies the thread counts to CAF's scheduler.
parse_result parse_options(system_config& cfg, int argc, char** argv);

/// The command line that gives `cfg`: one `--name=value` per option, in --help's order.
/// parse_options() turns it back into `cfg` (server_name, not an option, aside).
std::vector<std::string> to_arguments(const server_config& cfg);

}  // namespace fastactor
