#pragma once
// What every response writer of a server shares: limits, the blocking pool, the counters.

#include "actors/blocking_pool.hpp"
#include "actors/producer_watches.hpp"
#include "actors/request_counters.hpp"
#include "actors/stream_ids.hpp"
#include "protocol/accept_encoding.hpp"
#include <fastactor/config.hpp>
#include <fastactor/messages.hpp>
#include <fastactor/stats.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <random>
#include <string>

namespace fastactor {

/// The part of server_config every response writer reads, in the writer's units. A view of the
/// config, with no defaults of its own: a default-constructed one has server_config's.
struct response_limits {
  response_limits() : response_limits(server_config{}) {}
  explicit response_limits(const server_config& cfg)
    : stream_buffer(cfg.stream_buffer), stream_buffer_max(cfg.stream_buffer_max),
      request_timeout(cfg.request_timeout_ms), access_log(cfg.access_log),
      sse_heartbeat(cfg.sse_heartbeat_ms), response_memory_max(cfg.response_memory_max),
      compression(cfg.compression == compression_mode::on), compress_prefer(prefer(cfg)),
      compress_min_bytes(cfg.compress_min_bytes), levels{0, static_cast<int>(cfg.gzip_level),
                                                         static_cast<int>(cfg.br_level),
                                                         static_cast<int>(cfg.zstd_level)},
      compress_memory_max(cfg.compress_memory_max) {}

  /// Producers that write with flow control are acknowledged only while this many bytes or
  /// fewer wait to be sent.
  std::size_t stream_buffer;
  /// Past this many queued bytes the response fails (writes without flow control).
  std::size_t stream_buffer_max;
  /// A request not complete by then is ended: its workers are stopped. 0 = no deadline.
  std::chrono::milliseconds request_timeout;
  /// One line per request on stdout.
  bool access_log;
  /// An SSE stream idle this long gets a `: ping` comment. 0 = never.
  std::chrono::milliseconds sse_heartbeat;
  /// Response bytes held by the whole server (queued or being written) past which a
  /// response whose producer ignores flow control fails.
  std::size_t response_memory_max;

  /// Responses are compressed for clients that accept it.
  bool compression;
  /// The codings offered, best first.
  coding_preference compress_prefer;
  /// A body complete before its first byte and smaller than this is sent as it is.
  std::size_t compress_min_bytes;
  /// Each coding's level, indexed by content_coding.
  std::array<int, 4> levels;
  /// The most one response's compressor may allocate.
  std::size_t compress_memory_max;

  int level_of(content_coding c) const { return levels[static_cast<std::size_t>(c)]; }

private:
  /// parse_options() checked the text; a config made in code with a bad one offers nothing.
  static coding_preference prefer(const server_config& cfg) {
    std::string error;
    return parse_coding_preference(cfg.compress_prefer, error);
  }
};

/// Shared by the server and its writers (and, through their counters, by workers that may
/// outlive both: see context::adopt).
struct runtime : std::enable_shared_from_this<runtime> {
  runtime(response_limits lim, std::size_t blocking_threads, std::string server_header,
          std::chrono::milliseconds blocking_idle = std::chrono::seconds(10))
    : limits(lim), pool(blocking_threads, blocking_idle), server_name(std::move(server_header)),
      secret_seed_(random_seed()) {
    watches = std::make_shared<producer_watches>(next_secret());  // after the secret's state
  }

  response_limits limits;
  /// Before the pool: destroyed after it, since the tasks the pool's stop() drops or waits
  /// for count themselves out of it (running_task_token).
  server_stats stats;
  /// The counters each request moves, per thread: `stats` has their sums only as of the last
  /// published_stats() (request_counters.hpp).
  request_counters counters;
  /// `stats` with the per-thread counters summed in: what server::stats() and
  /// context::stats() return.
  const server_stats& published_stats() { return counters.publish(stats); }
  blocking_pool pool;
  std::string server_name;
  /// Every request scope's id (unique among this server's requests).
  stream_ids ids;
  /// Who must hear that a shared producer ended (context::subscribe).
  std::shared_ptr<producer_watches> watches;

  stream_id next_stream_id() { return ids.next(); }

  /// A number nobody can guess without reading this process's memory: the key of a
  /// connection, the token of a task. (Unique too: a counter under a keyed mix.)
  std::uint64_t next_secret() {
    auto z = secret_seed_ + 0x9e3779b97f4a7c15ull * ++secret_counter_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  /// Counts one blocking task as running until the token and all its copies are gone, so the
  /// gauge returns to zero whether the task ran or a stopping pool dropped it.
  std::shared_ptr<void> running_task_token() {
    stats.running_tasks.fetch_add(1, std::memory_order_relaxed);
    return {nullptr,
            [s = &stats](void*) { s->running_tasks.fetch_sub(1, std::memory_order_relaxed); }};
  }

private:
  static std::uint64_t random_seed() {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
  }

  std::uint64_t secret_seed_;
  std::atomic<std::uint64_t> secret_counter_{0};
};

}  // namespace fastactor
