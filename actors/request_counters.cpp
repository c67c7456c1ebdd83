#include "actors/request_counters.hpp"

#include "actors/serial_number.hpp"

namespace fastactor {

namespace {

/// This thread's serial: unlike std::thread::id, never given to a later thread.
std::uint64_t this_thread_serial() {
  thread_local const std::uint64_t serial = next_serial_number();
  return serial;
}

/// The shards this thread used last, by their counters' serial. A few: a thread may serve
/// several servers (tests, an HTTP and an HTTPS server in one process).
struct shard_cache {
  struct entry {
    std::uint64_t counters = 0;  ///< 0: empty (serials start at 1)
    request_counts* counts = nullptr;
  };
  std::array<entry, 4> entries;
  std::size_t next = 0;  ///< the entry a miss replaces
};
thread_local shard_cache cache;

}  // namespace

void request_counts::responded(std::size_t status_index, std::chrono::steady_clock::duration took) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  add(responses_by_status[status_index], 1);
  add(duration_buckets[duration_histogram::bucket_of(us)], 1);
  add(duration_sum_us, us);
  add(duration_count, 1);
}

request_counters::request_counters() : serial_(next_serial_number()) {}

request_counts& request_counters::mine() {
  for (auto& entry : cache.entries)
    if (entry.counters == serial_)
      return *entry.counts;
  return slow_mine();
}

request_counts& request_counters::slow_mine() {
  auto thread = this_thread_serial();
  request_counts* counts = nullptr;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    for (auto& s : owned_)
      if (s.thread == thread)
        counts = s.counts.get();
    if (!counts && owned_.size() < owned_max)
      counts = owned_.emplace_back(shard{thread, std::make_unique<request_counts>()}).counts.get();
    if (!counts)
      counts = &shared_;
  }
  auto& entry = cache.entries[cache.next];
  cache.next = (cache.next + 1) % cache.entries.size();
  entry = {serial_, counts};
  return *counts;
}

std::size_t request_counters::owned_shards() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return owned_.size();
}

const server_stats& request_counters::publish(server_stats& into) const {
  std::lock_guard<std::mutex> lock{mutex_};
  auto each = [&](auto&& fn) {
    for (auto& s : owned_)
      fn(*s.counts);
    fn(shared_);
  };
  auto total = [&](auto field, std::memory_order order = std::memory_order_relaxed) {
    std::uint64_t n = 0;
    each([&](const request_counts& c) { n += (c.*field).load(order); });
    return n;
  };
  // Every end read here, acquired, makes its stream's beginning visible to the reads of
  // `begun` after it: the gauge is never summed below zero, and a count below zero is a bug.
  auto ended = total(&request_counts::streams_ended, std::memory_order_acquire);
  auto begun = total(&request_counts::streams_begun);
  auto store = [](auto& published, auto value) {
    published.store(value, std::memory_order_relaxed);
  };
  store(into.active_streams, static_cast<std::int64_t>(begun - ended));
  store(into.requests_total, total(&request_counts::requests));
  store(into.stream_bytes_total, total(&request_counts::stream_bytes));
  store(into.coalesced_responses_total, total(&request_counts::coalesced_responses));
  store(into.small_reads_total, total(&request_counts::small_reads));
  store(into.reused_requests_total, total(&request_counts::reused_requests));
  store(into.request_duration.sum_us, total(&request_counts::duration_sum_us));
  store(into.request_duration.count, total(&request_counts::duration_count));
  auto total_at = [&](auto field, std::size_t i) {
    std::uint64_t n = 0;
    each([&](const request_counts& c) { n += (c.*field)[i].load(std::memory_order_relaxed); });
    return n;
  };
  for (std::size_t i = 0; i < into.responses_by_status.size(); ++i)
    store(into.responses_by_status[i], total_at(&request_counts::responses_by_status, i));
  for (std::size_t i = 0; i < into.request_duration.buckets.size(); ++i)
    store(into.request_duration.buckets[i], total_at(&request_counts::duration_buckets, i));
  return into;
}

}  // namespace fastactor
