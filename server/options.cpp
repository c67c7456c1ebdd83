// The command line, its --help and its checks, all generated from FASTACTOR_SERVER_OPTIONS
// (include/fastactor/config.hpp): adding an option there is all an option takes.
#include <fastactor/options.hpp>

#include "actors/quiet_scheduler.hpp"
#include "protocol/accept_encoding.hpp"
#include "server/tls_context.hpp"

#include <fastactor/node_pool.hpp>

#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>

#include <type_traits>

namespace fastactor {

// -- how each type travels on the command line ------------------------------------------------

namespace {

/// Integers and bools are int64 on the command line: CAF 0.17 has no size_t options, and its
/// bool options are flags (no `=0`) that, in clang builds, call a null function pointer inside
/// libcaf_core (docs/robustness.md).
template <class T>
struct cli {
  static_assert(std::is_integral_v<T>, "add a cli<> specialization for this option type");
  using type = std::int64_t;
};
template <>
struct cli<std::string> {
  using type = std::string;
};
template <>
struct cli<thread_policy> {
  using type = std::string;
};
template <>
struct cli<compression_mode> {
  using type = std::string;
};

template <class T>
using cli_t = typename cli<T>::type;

template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>>
std::int64_t to_cli(Int value) {
  return static_cast<std::int64_t>(value);  // bool: 0|1
}

std::string to_cli(const std::string& value) {
  return value;
}

std::string to_cli(thread_policy policy) {
  return policy == thread_policy::batch ? "batch" : "normal";
}

std::string to_cli(compression_mode mode) {
  return std::string{to_string(mode)};
}

std::string text_of(std::int64_t value) {
  return std::to_string(value);
}

std::string text_of(const std::string& value) {
  return value;
}

}  // namespace

/// One field per option, in the type CAF parses.
struct detail::raw_options {
#define FASTACTOR_RAW_FIELD(type, field, name, default_value, check, help) cli_t<type> field;
  FASTACTOR_SERVER_OPTIONS(FASTACTOR_RAW_FIELD)
#undef FASTACTOR_RAW_FIELD
};

namespace {

detail::raw_options to_raw(const server_config& cfg) {
  detail::raw_options raw;
#define FASTACTOR_TO_RAW(type, field, name, default_value, check, help)                            \
  raw.field = to_cli(cfg.field);
  FASTACTOR_SERVER_OPTIONS(FASTACTOR_TO_RAW)
#undef FASTACTOR_TO_RAW
  return raw;
}

// -- the checks named in the table ------------------------------------------------------------

struct in_range {
  in_range(std::int64_t lowest, std::int64_t highest) : min(lowest), max(highest) {}
  std::int64_t min, max;
};

struct any_text_check {};
constexpr any_text_check any_text{};

struct thread_policy_check {};
constexpr thread_policy_check a_thread_policy{};

struct tls_version_check {};
constexpr tls_version_check a_tls_version{};

struct on_off_check {};
constexpr on_off_check an_on_off{};

struct coding_list_check {};
constexpr coding_list_check a_coding_list{};

/// Each store() puts a command-line value into its field, or returns why it cannot.
template <class T>
std::string store(T& field, std::int64_t value, const char* name, in_range range) {
  if (value < range.min || value > range.max)
    return std::string{"--"} + name + " must be from " + std::to_string(range.min) + " to "
      + std::to_string(range.max) + ", got " + std::to_string(value);
  field = static_cast<T>(value);
  return {};
}

std::string store(std::string& field, const std::string& value, const char*, any_text_check) {
  field = value;
  return {};
}

std::string store(thread_policy& field, const std::string& value, const char* name,
                  thread_policy_check) {
  auto policy = parse_thread_policy(value);
  if (!policy)
    return std::string{"--"} + name + " must be batch or normal, got '" + value + "'";
  field = *policy;
  return {};
}

std::string store(std::string& field, const std::string& value, const char* name,
                  tls_version_check) {
  if (value != "1.2" && value != "1.3")
    return std::string{"--"} + name + " must be 1.2 or 1.3, got '" + value + "'";
  field = value;
  return {};
}

std::string store(compression_mode& field, const std::string& value, const char* name,
                  on_off_check) {
  auto mode = parse_compression_mode(value);
  if (!mode)
    return std::string{"--"} + name + " must be on or off, got '" + value + "'";
  field = *mode;
  return {};
}

std::string store(std::string& field, const std::string& value, const char*, coding_list_check) {
  std::string error;
  parse_coding_preference(value, error);
  if (error.empty())
    field = value;
  return error;
}

/// Checks every option in table order into `cfg`; a bound may name an earlier option
/// (`cfg.field`), which is checked by then. Returns the first error.
std::string check_into(server_config& cfg, const detail::raw_options& raw) {
#define FASTACTOR_CHECK(type, field, name, default_value, check, help)                             \
  if (auto error = store(cfg.field, raw.field, name, check); !error.empty())                       \
    return error;
  FASTACTOR_SERVER_OPTIONS(FASTACTOR_CHECK)
#undef FASTACTOR_CHECK
  return {};
}

/// The help line's tail, from the value itself so that it cannot go stale.
std::string default_note(const std::string& text) {
  return text.empty() ? std::string{} : " (default " + text + ")";
}

}  // namespace

system_config::system_config() : raw_(std::make_unique<detail::raw_options>(to_raw(server))) {
  // `sharing` has no polling sleeps between an Asio completion and the actor it wakes
  // (docs/design-notes.md, "The scheduler: sharing").
  set("scheduler.policy", caf::atom("sharing"));
  // With `sharing` (decided when the actor system is built), a scheduler whose clock wakes no
  // thread when an actor without timeouts exits (actors/quiet_scheduler.hpp).
  detail::use_quiet_scheduler(*this);
  set("scheduler.max-threads", static_cast<std::int64_t>(server.actor_threads));
  set("logger.console", caf::atom("none"));
  opt_group group{custom_options_, "global"};
  auto& raw = *raw_;
#define FASTACTOR_ADD(type, field, name, default_value, check, help)                               \
  group.add(raw.field, name, help + default_note(text_of(raw.field)));
  FASTACTOR_SERVER_OPTIONS(FASTACTOR_ADD)
#undef FASTACTOR_ADD
}

system_config::~system_config() = default;

parse_result parse_options(system_config& cfg, int argc, char** argv) {
  if (auto err = cfg.parse(argc, argv))
    return {parse_outcome::invalid, "invalid options: " + cfg.render(err)};
  if (cfg.cli_helptext_printed)
    return {parse_outcome::help_shown, {}};
  if (!cfg.remainder.empty())
    return {parse_outcome::invalid, "unexpected argument '" + cfg.remainder.front() + "'"};
  auto& s = cfg.server;
  auto error = check_into(s, *cfg.raw_);
  if (error.empty())
    error = tls_options_problem(s);
  // Checked with or without worker nodes: a TLS setting is never silently ignored as broken.
  node_tls tls{s.node_tls_cert, s.node_tls_key, s.node_tls_ca};
  if (error.empty())
    error = check_node_tls(tls);
  if (error.empty() && !s.worker_nodes.empty()) {
    parse_node_list(s.worker_nodes, error);
    if (error.empty())
      configure_remote(cfg,
                       {std::chrono::milliseconds(s.node_heartbeat_ms),
                        std::chrono::milliseconds(s.node_timeout_ms), std::move(tls),
                        basp_workers_option(s.node_basp_workers)});
  }
  if (!error.empty())
    return {parse_outcome::invalid, error};
  cfg.set("scheduler.max-threads", static_cast<std::int64_t>(s.actor_threads));
  return {};
}

std::vector<std::string> to_arguments(const server_config& cfg) {
  std::vector<std::string> args;
#define FASTACTOR_ARGUMENT(type, field, name, default_value, check, help)                          \
  args.push_back(std::string{"--"} + name + "=" + text_of(to_cli(cfg.field)));
  FASTACTOR_SERVER_OPTIONS(FASTACTOR_ARGUMENT)
#undef FASTACTOR_ARGUMENT
  return args;
}

}  // namespace fastactor
