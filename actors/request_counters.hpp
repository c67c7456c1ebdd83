#pragma once
// request_counters: the counters every request moves (requests, responses by status, their
// durations, active streams, body bytes, coalesced responses, small reads), kept per thread.
//
// Each was a shared atomic, and a request moved about ten of them: ten locked read-modify-
// writes, which callgrind counts as ten instructions but which cost ~20 cycles each and hold up
// the CPU's pipeline (docs/design-notes.md, "Counters kept per thread"). Now each thread adds to
// a shard of its own with a plain load and store (no other thread writes it, so nothing is
// lost), and a reader — server::stats(), context::stats(), /metrics — sums the shards into the
// server_stats it returns (publish). Readers are rare; requests are not.
//
// A shard belongs to the request_counters that made it and lives as long as they do; a thread
// finds its own through a small thread-local cache keyed by the counters' serial number, which
// is never reused, so a cache entry of counters that are gone can never match new ones made at
// the same address. At most owned_max threads get a shard of their own (the I/O threads, which
// count first and most); any thread after them shares one whose counts are locked additions,
// so that threads that come and go (a writer destroyed on a blocking-pool thread) cannot make
// the shards grow without bound.

#include <fastactor/stats.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

namespace fastactor {

/// One thread's share (or the share of every thread past owned_max). Only its thread writes
/// an owned one; publish reads any from anywhere.
struct alignas(64) request_counts {
  explicit request_counts(bool shared = false) : shared(shared) {}

  // The ones every request moves first, on the same cache lines.
  std::atomic<std::uint64_t> requests{0};
  /// Streams begun and ended: both only grow, so the gauge (begun - ended) cannot be summed
  /// below zero (publish reads `ended` first; see there).
  std::atomic<std::uint64_t> streams_begun{0};
  std::atomic<std::uint64_t> streams_ended{0};
  std::atomic<std::uint64_t> stream_bytes{0};
  std::atomic<std::uint64_t> duration_sum_us{0};
  std::atomic<std::uint64_t> duration_count{0};
  std::atomic<std::uint64_t> coalesced_responses{0};
  std::atomic<std::uint64_t> small_reads{0};
  std::atomic<std::uint64_t> reused_requests{0};
  std::array<std::atomic<std::uint64_t>, duration_histogram::bounds_ms.size() + 1>
    duration_buckets{};
  std::array<std::atomic<std::uint64_t>,
             std::tuple_size_v<decltype(server_stats::responses_by_status)>>
    responses_by_status{};

  /// Shared by the threads past owned_max: its counts are locked additions.
  const bool shared;

  /// Adds `n` to one of this shard's counters. An owned shard has one writer, so a load and a
  /// store lose nothing and need no lock.
  template <class T, class N>
  void add(std::atomic<T>& counter, N n, std::memory_order order = std::memory_order_relaxed) {
    if (shared)
      counter.fetch_add(static_cast<T>(n), order);
    else
      counter.store(counter.load(std::memory_order_relaxed) + static_cast<T>(n), order);
  }

  void begin_stream() { add(streams_begun, 1); }
  /// Released, so that a reader who sees this end also sees the stream's beginning, wherever it
  /// was counted (it happened before this end: the request travelled from there to here).
  void end_stream() { add(streams_ended, 1, std::memory_order_release); }

  /// Counts one answered request: its status (an index of responses_by_status) and how long it
  /// took.
  void responded(std::size_t status_index, std::chrono::steady_clock::duration took);
};

class request_counters {
public:
  /// Threads that get a shard of their own; the others share one.
  static constexpr std::size_t owned_max = 32;

  request_counters();
  request_counters(const request_counters&) = delete;
  request_counters& operator=(const request_counters&) = delete;

  /// The calling thread's shard (made on its first use), or the shared one.
  request_counts& mine();

  /// Stores the sums of all shards into `into`'s fields for these counters, and returns it.
  /// Any thread.
  const server_stats& publish(server_stats& into) const;

  /// How many threads have a shard of their own (for the tests of the bound).
  std::size_t owned_shards() const;

private:
  request_counts& slow_mine();

  const std::uint64_t serial_;  ///< unique in the process, never reused
  mutable std::mutex mutex_;  ///< guards owned_ (the vector; each shard is read lock-free)
  struct shard {
    std::uint64_t thread;  ///< the owning thread's serial (threads' ids may be reused)
    std::unique_ptr<request_counts> counts;
  };
  std::vector<shard> owned_;
  request_counts shared_{true};
};

}  // namespace fastactor
