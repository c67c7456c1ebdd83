#pragma once
// Command-line options, parsed by CAF's own config machinery (`--port=8080`, `--help`).
// system_config is a caf::actor_system_config, so one object configures both the server and
// the actor system (scheduler threads and policy included).

#include <fastactor/config.hpp>

#include <caf/actor_system_config.hpp>

#include <optional>
#include <string>

namespace fastactor {

/// Outcome of parse_options().
enum class parse_outcome {
  run,        ///< options are valid: start
  help_shown, ///< --help was given and printed: exit 0
  invalid,    ///< `error` says what was wrong: exit non-zero
};

struct parse_result {
  parse_outcome outcome = parse_outcome::run;
  std::string error;
};

class system_config : public caf::actor_system_config {
public:
  system_config();

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

  // CAF's parser stores into these; parse_options() range-checks them into `server`
  // (CAF 0.17 has no size_t options).
  struct raw_values {
    std::string host;
    std::int64_t port = 0, io_threads = 0, actor_threads = 0, blocking_threads = 0,
                 request_timeout_ms = 0, sse_heartbeat_ms = 0, stream_buffer = 0, stream_buffer_max = 0,
                 max_header_bytes = 0, max_body_bytes = 0, header_timeout_ms = 0,
                 body_timeout_ms = 0, send_timeout_ms = 0, response_memory_max = 0,
                 idle_timeout_ms = 0, max_connections = 0, drain_timeout_ms = 0;
    // No bool options: CAF 0.17 bools are flags (no `=0`), and in clang builds of the program
    // parsing one calls a null function pointer inside libcaf_core (docs/robustness.md).
    std::int64_t access_log = 1;
    std::string worker_nodes;
    std::int64_t node_heartbeat_ms = 0, node_timeout_ms = 0;
    std::string thread_policy;
  } raw_;
};

/// Parses the command line into `cfg` (server options and CAF's own), checks ranges and
/// applies the thread counts to CAF's scheduler.
parse_result parse_options(system_config& cfg, int argc, char** argv);

} // namespace fastactor
