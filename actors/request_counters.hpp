#pragma once
// request_counters: the counters every request moves (requests, responses by status, their
// durations, active streams, body bytes, coalesced responses, small reads), kept per thread.
//
// Each was a shared atomic, and a request moved about ten of them: ten locked read-modify-
// writes, which callgrind counts as ten instructions but which cost ~20 cycles each and hold up
// the CPU's pipeline. Taking them off a pipelined /hello made the server 5-20 % faster
// (docs/benchmarks.md, "Counters kept per thread"). Now each thread adds to a shard of its own
// with a plain load and store (no other thread writes it, so nothing is lost), and a reader —
// server::stats(), context::stats(), /metrics — sums the shards into the server_stats it
// returns (publish). Readers are rare; requests are not.
//
// A shard belongs to the request_counters that made it and lives as long as they do; a thread
// finds its own through a small thread-local cache keyed by the counters' serial number, which
// is never reused, so a cache entry of counters that are gone can never match new ones made at
// the same address.

#include <fastactor/stats.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace fastactor {

/// One thread's share. Only its thread writes it (add); publish reads it from anywhere.
struct request_counts {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::int64_t> active_streams{0};  ///< may be negative: a stream may end elsewhere
  std::atomic<std::uint64_t> stream_bytes{0};
  std::atomic<std::uint64_t> coalesced_responses{0};
  std::atomic<std::uint64_t> small_reads{0};
  std::array<std::atomic<std::uint64_t>, std::tuple_size_v<decltype(server_stats::responses_by_status)>>
    responses_by_status{};
  std::array<std::atomic<std::uint64_t>, duration_histogram::bounds_ms.size() + 1> duration_buckets{};
  std::atomic<std::uint64_t> duration_sum_us{0};
  std::atomic<std::uint64_t> duration_count{0};

  /// Adds `n` to a counter of this thread's shard: no other thread writes it, so a load and a
  /// store lose nothing and need no lock.
  template <class T, class N>
  static void add(std::atomic<T>& counter, N n) {
    counter.store(counter.load(std::memory_order_relaxed) + static_cast<T>(n),
                  std::memory_order_relaxed);
  }

  /// Counts one answered request: its status and how long it took.
  void responded(std::size_t status_index, std::chrono::steady_clock::duration took);
};

class request_counters {
public:
  request_counters();
  request_counters(const request_counters&) = delete;
  request_counters& operator=(const request_counters&) = delete;

  /// The calling thread's shard (made on its first use).
  request_counts& mine();

  /// Stores the sums of all shards into `into`'s fields for these counters, and returns it.
  /// Any thread. A gauge summed while a stream moves between threads may read one low for a
  /// moment; it is never published below zero.
  const server_stats& publish(server_stats& into) const;

private:
  request_counts& slow_mine();

  const std::uint64_t serial_;  ///< unique in the process, never reused
  mutable std::mutex mutex_;  ///< guards shards_ (the vector; each shard is read lock-free)
  struct shard {
    std::uint64_t thread;  ///< the owning thread's serial (threads' ids may be reused)
    std::unique_ptr<request_counts> counts;
  };
  std::vector<shard> shards_;
};

}  // namespace fastactor
