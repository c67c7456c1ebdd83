#pragma once
// Live counters of a server, readable from any thread. Gauges return to zero when the
// server is idle; tests and metrics read them to see that nothing is left behind.

#include <atomic>
#include <cstdint>

namespace fastactor {

struct server_stats {
  std::atomic<std::int64_t> live_connections{0};  ///< sessions with an open socket
  std::atomic<std::int64_t> live_writers{0};      ///< response-writer actors alive
  std::atomic<std::int64_t> active_streams{0};    ///< request scopes being answered
  std::atomic<std::int64_t> live_workers{0};      ///< worker actors alive (all requests)
  std::atomic<std::int64_t> running_tasks{0};     ///< blocking tasks queued or running

  std::atomic<std::uint64_t> requests_total{0};
  std::atomic<std::uint64_t> client_disconnects_total{0};
  std::atomic<std::uint64_t> worker_errors_total{0};
  std::atomic<std::uint64_t> stale_messages_total{0};  ///< late messages of ended requests
  std::atomic<std::uint64_t> stream_bytes_total{0};    ///< body bytes written
  std::atomic<std::uint64_t> deadlines_total{0};       ///< requests ended by their deadline
};

} // namespace fastactor
