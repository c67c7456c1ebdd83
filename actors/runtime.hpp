#pragma once
// What every response writer of a server shares: limits, the blocking pool, the counters.

#include "actors/blocking_pool.hpp"
#include "actors/stats.hpp"
#include "protocol/messages.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace fastactor {

struct response_limits {
  /// Producers that write with flow control are acknowledged only while this many bytes or
  /// fewer wait to be sent.
  std::size_t stream_buffer = 256 * 1024;
  /// Past this many queued bytes the response fails (writes without flow control).
  std::size_t stream_buffer_max = 64 * 1024 * 1024;
  /// A request not complete by then is ended: its workers are stopped. 0 = no deadline.
  std::chrono::milliseconds request_timeout{60'000};
  /// One line per request on stdout.
  bool access_log = false;
  /// An SSE stream idle this long gets a `: ping` comment. 0 = never.
  std::chrono::milliseconds sse_heartbeat{15'000};
};

struct runtime {
  runtime(response_limits lim, std::size_t blocking_threads, std::string server_header)
    : limits(lim), pool(blocking_threads), server_name(std::move(server_header)) {}

  response_limits limits;
  blocking_pool pool;
  server_stats stats;
  std::string server_name;
  std::atomic<stream_id> last_stream_id{0};

  stream_id next_stream_id() { return ++last_stream_id; }

  /// Counts one blocking task as running until the token and all its copies are gone, so the
  /// gauge returns to zero whether the task ran or a stopping pool dropped it.
  std::shared_ptr<void> running_task_token() {
    stats.running_tasks.fetch_add(1, std::memory_order_relaxed);
    return {nullptr, [s = &stats](void*) { s->running_tasks.fetch_sub(1, std::memory_order_relaxed); }};
  }
};

} // namespace fastactor
