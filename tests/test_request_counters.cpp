// The counters every request moves, kept per thread (actors/request_counters.hpp): each
// thread adds to a shard of its own without a locked instruction, and a reader gets the sums
// of all shards. Nothing may be lost, nothing may leak from one server's counters to
// another's, the active-stream gauge is never summed below zero, and threads past the bound
// share a shard instead of adding more.
#include "actors/request_counters.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using fastactor::duration_histogram;
using fastactor::request_counters;
using fastactor::request_counts;
using fastactor::server_stats;

namespace {

/// One request as the writer and the session count it: begun, answered `status` after `took`
/// (its body two bytes, held back once, read by a small read), ended unless `keep_open`.
void count_request(request_counters& counters, std::size_t status,
                   std::chrono::steady_clock::duration took, bool keep_open = false) {
  auto& counts = counters.mine();
  counts.add(counts.requests, 1);
  counts.begin_stream();
  counts.add(counts.stream_bytes, 2);
  counts.add(counts.coalesced_responses, 1);
  counts.add(counts.small_reads, 1);
  counts.responded(status, took);
  if (!keep_open)
    counts.end_stream();
}

/// A fresh server_stats with the counters published into it (server_stats cannot be copied).
std::unique_ptr<server_stats> published(const request_counters& counters) {
  auto stats = std::make_unique<server_stats>();
  counters.publish(*stats);
  return stats;
}

}  // namespace

SCENARIO("requests counted on several threads are all in the published sums") {
  GIVEN("one server's counters, and four threads counting 50,000 requests each") {
    request_counters counters;
    constexpr std::uint64_t per_thread = 50'000;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (std::uint64_t i = 0; i < per_thread; ++i)
          count_request(counters, 200, 3ms, i == 0);  // each thread's first stays open
      });
    for (auto& t : threads)
      t.join();
    WHEN("they are published") {
      auto held = published(counters);
      auto& stats = *held;
      THEN("every request is there, once") {
        CHECK(stats.requests_total == 4 * per_thread);
        CHECK(stats.active_streams == 4);
        CHECK(stats.stream_bytes_total == 8 * per_thread);
        CHECK(stats.coalesced_responses_total == 4 * per_thread);
        CHECK(stats.small_reads_total == 4 * per_thread);
        CHECK(stats.responses_by_status[200] == 4 * per_thread);
        CHECK(stats.responses_by_status[404] == 0);
        CHECK(stats.request_duration.count == 4 * per_thread);
        CHECK(stats.request_duration.sum_us == 4 * per_thread * 3000);
        CHECK(stats.request_duration.buckets[1] == 4 * per_thread);  // (1 ms, 5 ms]
      }
    }
    WHEN("a thread counts more after a first publication") {
      server_stats stats;
      counters.publish(stats);
      std::thread{[&] { count_request(counters, 404, 20ms); }}.join();
      counters.publish(stats);
      THEN("the second publication has them too: the sums are stored, not added") {
        CHECK(stats.requests_total == 4 * per_thread + 1);
        CHECK(stats.responses_by_status[404] == 1);
        CHECK(stats.request_duration.buckets[3] == 1);  // (10 ms, 25 ms]
      }
    }
  }
}

SCENARIO("a duration falls in the first bucket whose bound it does not pass") {
  CHECK(duration_histogram::bucket_of(0) == 0);
  CHECK(duration_histogram::bucket_of(1000) == 0);  // le="0.001" includes 1 ms
  CHECK(duration_histogram::bucket_of(1001) == 1);
  CHECK(duration_histogram::bucket_of(10'000'000) == 11);  // le="10"
  CHECK(duration_histogram::bucket_of(10'000'001) == 12);  // +Inf
  request_counters counters;
  count_request(counters, 200, 10001ms);
  CHECK(published(counters)->request_duration.buckets[12] == 1);
}

SCENARIO("streams begun on one thread and ended on another are never summed below zero") {
  GIVEN("a thread that begins streams and hands each to a second thread, which ends it, and a "
        "third that begins and ends its own in a tight loop") {
    request_counters counters;
    constexpr int streams = 100'000;
    std::mutex m;
    std::condition_variable cv;
    std::deque<int> handed;  // like a request handed from one I/O thread to another
    std::thread beginner{[&] {
      for (int i = 0; i < streams; ++i) {
        counters.mine().begin_stream();
        std::lock_guard<std::mutex> lock{m};
        handed.push_back(i);
        cv.notify_one();
      }
    }};
    std::thread ender{[&] {
      for (int ended = 0; ended < streams; ++ended) {
        std::unique_lock<std::mutex> lock{m};
        cv.wait(lock, [&] { return !handed.empty(); });
        handed.pop_front();
        lock.unlock();
        counters.mine().end_stream();
      }
    }};
    std::atomic<bool> churning{true};
    std::thread churner{[&] {
      while (churning.load(std::memory_order_relaxed)) {
        counters.mine().begin_stream();
        counters.mine().end_stream();
      }
    }};
    WHEN("a reader publishes again and again meanwhile") {
      std::int64_t lowest = 0;
      std::uint64_t last_requests = 0;
      bool went_back = false;
      for (int i = 0; i < 20'000; ++i) {
        auto stats = published(counters);
        lowest = std::min<std::int64_t>(lowest, stats->active_streams);
        went_back |= stats->requests_total < last_requests;
        last_requests = stats->requests_total;
      }
      churning = false;
      churner.join();
      beginner.join();
      ender.join();
      THEN("the gauge never read below zero, and it is zero once all have ended") {
        CHECK(lowest == 0);
        CHECK_FALSE(went_back);
        CHECK(published(counters)->active_streams == 0);
      }
    }
  }
}

SCENARIO("threads past the bound share a shard, and their counts are not lost") {
  GIVEN("one server's counters and more threads than get a shard of their own") {
    request_counters counters;
    constexpr std::size_t threads = request_counters::owned_max + 8;
    WHEN("each thread counts 2,000 requests, all at once") {
      std::vector<std::thread> pool;
      std::atomic<std::size_t> ready{0};
      for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&] {
          ready.fetch_add(1);
          while (ready.load() < threads)  // all alive at once: no thread serial is shared
            std::this_thread::yield();
          for (int i = 0; i < 2000; ++i)
            count_request(counters, 200, 1ms);
        });
      for (auto& t : pool)
        t.join();
      THEN("only owned_max shards were made, and every request is counted") {
        CHECK(counters.owned_shards() == request_counters::owned_max);
        auto held = published(counters);
        auto& stats = *held;
        CHECK(stats.requests_total == threads * 2000);
        CHECK(stats.responses_by_status[200] == threads * 2000);
        CHECK(stats.active_streams == 0);
      }
    }
  }
}

SCENARIO("one thread counting for several servers keeps their counts apart") {
  GIVEN("six servers' counters, more than a thread's cache of shards holds") {
    std::vector<std::optional<request_counters>> servers(6);
    for (auto& s : servers)
      s.emplace();
    WHEN("one thread counts i + 1 requests for server i, round after round") {
      for (int round = 0; round < 3; ++round)
        for (std::size_t i = 0; i < servers.size(); ++i)
          for (std::size_t n = 0; n <= i; ++n)
            count_request(*servers[i], 200, 1ms);
      THEN("each server has its own, in one shard") {
        for (std::size_t i = 0; i < servers.size(); ++i) {
          CHECK(published(*servers[i])->requests_total == 3 * (i + 1));
          CHECK(servers[i]->owned_shards() == 1);
        }
      }
    }
    WHEN("a server's counters end and new ones are made in their place") {
      count_request(*servers[0], 200, 1ms);
      const void* before = &*servers[0];
      servers[0].reset();
      servers[0].emplace();  // the same storage: the thread's cache must not take it for the old
      REQUIRE(static_cast<const void*>(&*servers[0]) == before);
      count_request(*servers[0], 500, 1ms);
      THEN("the new counters start from nothing") {
        auto held = published(*servers[0]);
        auto& stats = *held;
        CHECK(stats.requests_total == 1);
        CHECK(stats.responses_by_status[200] == 0);
        CHECK(stats.responses_by_status[500] == 1);
      }
    }
  }
}
