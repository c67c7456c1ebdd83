#pragma once
// server_config: everything a fastactor server can be told. Every duration is in ms.

#include <fastactor/thread_policy.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace fastactor {

struct server_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;           ///< 0 takes a free port; server::port() tells which
  std::size_t io_threads = 1;          ///< threads running Asio (accept, read, write)
  std::size_t actor_threads = 2;       ///< CAF scheduler threads (worker actors)
  thread_policy threads = thread_policy::batch;  ///< how Linux schedules all of them
  std::size_t blocking_threads = 256;  ///< the pool for blocking tasks (threads start on demand)
  std::int64_t request_timeout_ms = 60'000;  ///< 0: no deadline
  std::int64_t sse_heartbeat_ms = 15'000;    ///< idle SSE streams get `: ping`; 0: never
  std::size_t stream_buffer = 256 * 1024;         ///< flow-control high-water mark per response
  std::size_t stream_buffer_max = 64 * 1024 * 1024;  ///< hard cap per response
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::int64_t header_timeout_ms = 10'000;  ///< a request header must arrive within (408)
  std::int64_t body_timeout_ms = 30'000;    ///< a request body must arrive within (408)
  std::int64_t send_timeout_ms = 30'000;    ///< a write making no progress this long ends the connection
  std::size_t response_memory_max = 256 * 1024 * 1024;  ///< queued response bytes, all responses
  std::int64_t idle_timeout_ms = 60'000;    ///< an idle keep-alive connection is closed after
  std::size_t max_connections = 20'000;     ///< more are answered 503 + Retry-After and closed
  std::int64_t drain_timeout_ms = 5'000;    ///< on stop, running responses may finish this long
  bool access_log = true;                   ///< one line per request on stdout
  std::string worker_nodes;                 ///< "host:port,host:port": remote worker nodes
  std::int64_t node_heartbeat_ms = 200;     ///< middleman heartbeats (same on the nodes)
  std::int64_t node_timeout_ms = 2000;      ///< a node silent this long is down
  std::string server_name = "fastactor";  ///< the `Server` header
};

} // namespace fastactor
