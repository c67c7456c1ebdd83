#include <fastactor/options.hpp>

#include <fastactor/node_pool.hpp>

#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>

#include <thread>

namespace fastactor {


system_config::system_config() {
  // The measured choice (see docs): `sharing` has no polling sleeps between an Asio
  // completion and the actor it wakes; `stealing` added ~130 µs to every hop.
  set("scheduler.policy", caf::atom("sharing"));
  set("scheduler.max-threads", static_cast<std::int64_t>(server.actor_threads));
  set("logger.console", caf::atom("none"));
  auto& r = raw_;
  r = raw_values{server.host,
                  server.port,
                  static_cast<std::int64_t>(server.io_threads),
                  static_cast<std::int64_t>(server.actor_threads),
                  static_cast<std::int64_t>(server.blocking_threads),
                  server.request_timeout_ms,
                  server.sse_heartbeat_ms,
                  static_cast<std::int64_t>(server.stream_buffer),
                  static_cast<std::int64_t>(server.stream_buffer_max),
                  static_cast<std::int64_t>(server.max_header_bytes),
                  static_cast<std::int64_t>(server.max_body_bytes),
                  server.header_timeout_ms,
                  server.body_timeout_ms,
                  server.send_timeout_ms,
                  static_cast<std::int64_t>(server.response_memory_max),
                  server.idle_timeout_ms,
                  static_cast<std::int64_t>(server.max_connections),
                  server.drain_timeout_ms,
                  server.access_log ? 1 : 0,
                  server.worker_nodes,
                  server.node_heartbeat_ms,
                  server.node_timeout_ms,
                  server.threads == thread_policy::batch ? "batch" : "normal"};
  opt_group{custom_options_, "global"}
    .add(r.host, "host", "address to listen on (default 127.0.0.1)")
    .add(r.port, "port", "TCP port; 0 takes a free one (default 8080)")
    .add(r.io_threads, "io-threads", "threads running Asio (default 1)")
    .add(r.actor_threads, "actor-threads", "CAF scheduler threads (default 2)")
    .add(r.blocking_threads, "blocking-threads", "most threads for blocking tasks, started as tasks need them (default 256)")
    .add(r.thread_policy, "thread-policy",
         "batch: a woken thread does not preempt a running one, so threads hand messages over "
         "in batches; normal: the system's default (default batch)")
    .add(r.request_timeout_ms, "request-timeout-ms",
         "a response (streaming included) not complete after this many ms is ended; "
         "0 = never (default 60000)")
    .add(r.sse_heartbeat_ms, "sse-heartbeat-ms",
         "an SSE stream idle this many ms gets a ': ping' comment; 0 = never (default 15000)")
    .add(r.stream_buffer, "stream-buffer",
         "bytes queued per response before flow-controlled producers wait (default 262144)")
    .add(r.stream_buffer_max, "stream-buffer-max",
         "bytes queued per response before it fails (default 67108864)")
    .add(r.max_header_bytes, "max-header-bytes", "largest request header block (default 8192)")
    .add(r.max_body_bytes, "max-body-bytes", "largest request body (default 1048576)")
    .add(r.header_timeout_ms, "header-timeout-ms",
         "a request header not complete after this many ms gets 408 (default 10000)")
    .add(r.body_timeout_ms, "body-timeout-ms",
         "a request body not complete this many ms after its header gets 408; 0 = never "
         "(default 30000)")
    .add(r.send_timeout_ms, "send-timeout-ms",
         "a write to a client that makes no progress for this many ms ends the connection; "
         "0 = never (default 30000)")
    .add(r.response_memory_max, "response-memory-max",
         "response bytes queued in the whole server before responses whose producers ignore "
         "flow control fail (default 268435456)")
    .add(r.idle_timeout_ms, "idle-timeout-ms",
         "idle keep-alive connections are closed after this many ms (default 60000)")
    .add(r.max_connections, "max-connections",
         "connections beyond this get 503 with Retry-After (default 20000)")
    .add(r.drain_timeout_ms, "drain-timeout-ms",
         "on SIGTERM, running responses may finish for this many ms (default 5000)")
    .add(r.access_log, "access-log", "1: one line per request on stdout; 0: none (default 1)")
    .add(r.worker_nodes, "worker-nodes",
         "remote worker nodes, HOST:PORT[,HOST:PORT...] (loads CAF's middleman)")
    .add(r.node_heartbeat_ms, "node-heartbeat-ms",
         "heartbeat interval to worker nodes; must match theirs (default 200)")
    .add(r.node_timeout_ms, "node-timeout-ms",
         "a worker node silent this long is down; must match theirs (default 2000)");
}

parse_result parse_options(system_config& cfg, int argc, char** argv) {
  if (auto err = cfg.parse(argc, argv))
    return {parse_outcome::invalid, "invalid options: " + cfg.render(err)};
  if (cfg.cli_helptext_printed)
    return {parse_outcome::help_shown, {}};
  if (!cfg.remainder.empty())
    return {parse_outcome::invalid, "unexpected argument '" + cfg.remainder.front() + "'"};
  auto& r = cfg.raw_;
  auto check = [](std::int64_t value, std::int64_t min, std::int64_t max, const char* name,
                  std::string& error) {
    if (error.empty() && (value < min || value > max))
      error = std::string{"--"} + name + " must be from " + std::to_string(min) + " to "
              + std::to_string(max) + ", got " + std::to_string(value);
    return value;
  };
  std::string error;
  auto& s = cfg.server;
  s.host = r.host;
  s.port = static_cast<std::uint16_t>(check(r.port, 0, 65535, "port", error));
  s.io_threads = check(r.io_threads, 1, 256, "io-threads", error);
  s.actor_threads = check(r.actor_threads, 1, 256, "actor-threads", error);
  s.blocking_threads = check(r.blocking_threads, 1, 4096, "blocking-threads", error);
  s.request_timeout_ms = check(r.request_timeout_ms, 0, 86'400'000, "request-timeout-ms", error);
  s.sse_heartbeat_ms = check(r.sse_heartbeat_ms, 0, 86'400'000, "sse-heartbeat-ms", error);
  s.stream_buffer = check(r.stream_buffer, 1024, 1ll << 32, "stream-buffer", error);
  s.stream_buffer_max = check(r.stream_buffer_max, r.stream_buffer, 1ll << 34,
                              "stream-buffer-max", error);
  s.max_header_bytes = check(r.max_header_bytes, 256, 1 << 20, "max-header-bytes", error);
  s.max_body_bytes = check(r.max_body_bytes, 0, 1ll << 32, "max-body-bytes", error);
  s.header_timeout_ms = check(r.header_timeout_ms, 0, 86'400'000, "header-timeout-ms", error);
  s.body_timeout_ms = check(r.body_timeout_ms, 0, 86'400'000, "body-timeout-ms", error);
  s.send_timeout_ms = check(r.send_timeout_ms, 0, 86'400'000, "send-timeout-ms", error);
  s.response_memory_max = check(r.response_memory_max, r.stream_buffer_max, 1ll << 40,
                                "response-memory-max", error);
  s.idle_timeout_ms = check(r.idle_timeout_ms, 0, 86'400'000, "idle-timeout-ms", error);
  s.max_connections = check(r.max_connections, 1, 10'000'000, "max-connections", error);
  s.drain_timeout_ms = check(r.drain_timeout_ms, 0, 3'600'000, "drain-timeout-ms", error);
  s.access_log = check(r.access_log, 0, 1, "access-log", error) == 1;
  s.node_heartbeat_ms = check(r.node_heartbeat_ms, 1, 60'000, "node-heartbeat-ms", error);
  s.node_timeout_ms = check(r.node_timeout_ms, r.node_heartbeat_ms, 600'000, "node-timeout-ms",
                            error);
  if (auto policy = parse_thread_policy(r.thread_policy))
    s.threads = *policy;
  else if (error.empty())
    error = "--thread-policy must be batch or normal, got '" + r.thread_policy + "'";
  s.worker_nodes = r.worker_nodes;
  if (error.empty() && !s.worker_nodes.empty()) {
    parse_node_list(s.worker_nodes, error);
    if (error.empty())
      configure_remote(cfg, {std::chrono::milliseconds(s.node_heartbeat_ms),
                             std::chrono::milliseconds(s.node_timeout_ms)});
  }
  if (!error.empty())
    return {parse_outcome::invalid, error};
  cfg.set("scheduler.max-threads", static_cast<std::int64_t>(s.actor_threads));
  return {};
}

} // namespace fastactor
