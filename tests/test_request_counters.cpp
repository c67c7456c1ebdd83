// The counters every request moves, kept per thread (actors/request_counters.hpp): each
// thread adds to a shard of its own without a locked instruction, and a reader gets the sums
// of all shards. Nothing may be lost, nothing may leak from one server's counters to
// another's, and a gauge is never published below zero.
#include "actors/request_counters.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using fastactor::request_counters;
using fastactor::request_counts;
using fastactor::server_stats;

namespace {

/// One request as the writer counts it: begun, answered `status` after `took`, ended.
void count_request(request_counters& counters, std::size_t status,
                   std::chrono::steady_clock::duration took) {
  auto& counts = counters.mine();
  counts.add(counts.requests, 1);
  counts.add(counts.active_streams, 1);
  counts.add(counts.stream_bytes, 2);
  counts.responded(status, took);
  counts.add(counts.active_streams, -1);
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
          count_request(counters, 200, 3ms);
      });
    for (auto& t : threads)
      t.join();
    WHEN("they are published") {
      server_stats stats;
      counters.publish(stats);
      THEN("every request is there, once") {
        CHECK(stats.requests_total == 4 * per_thread);
        CHECK(stats.active_streams == 0);
        CHECK(stats.stream_bytes_total == 8 * per_thread);
        CHECK(stats.responses_by_status[200] == 4 * per_thread);
        CHECK(stats.responses_by_status[404] == 0);
        CHECK(stats.request_duration.count == 4 * per_thread);
        CHECK(stats.request_duration.sum_us == 4 * per_thread * 3000);
        CHECK(stats.request_duration.buckets[1] == 4 * per_thread);  // (1 ms, 5 ms]
      }
    }
    WHEN("the threads count more after a first publication") {
      server_stats stats;
      counters.publish(stats);
      std::thread more{[&] { count_request(counters, 404, 20ms); }};
      more.join();
      counters.publish(stats);
      THEN("the second publication has them too: the sums are stored, not added") {
        CHECK(stats.requests_total == 4 * per_thread + 1);
        CHECK(stats.responses_by_status[404] == 1);
        CHECK(stats.request_duration.buckets[3] == 1);  // (10 ms, 25 ms]
      }
    }
  }
}

SCENARIO("a stream that begins on one thread and ends on another") {
  GIVEN("server counters") {
    request_counters counters;
    server_stats stats;
    WHEN("one thread counts the stream's start and another its end") {
      std::thread{[&] { counters.mine().add(counters.mine().active_streams, 1); }}.join();
      counters.publish(stats);
      CHECK(stats.active_streams == 1);
      std::thread{[&] { counters.mine().add(counters.mine().active_streams, -1); }}.join();
      counters.publish(stats);
      THEN("the gauge is back at zero") { CHECK(stats.active_streams == 0); }
    }
    WHEN("a reader sees only the end (the start's shard read before the start was counted)") {
      counters.mine().add(counters.mine().active_streams, -1);
      counters.publish(stats);
      THEN("the gauge is published as zero, not below") { CHECK(stats.active_streams == 0); }
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
      THEN("each server has its own") {
        for (std::size_t i = 0; i < servers.size(); ++i) {
          server_stats stats;
          servers[i]->publish(stats);
          CHECK(stats.requests_total == 3 * (i + 1));
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
        server_stats stats;
        servers[0]->publish(stats);
        CHECK(stats.requests_total == 1);
        CHECK(stats.responses_by_status[200] == 0);
        CHECK(stats.responses_by_status[500] == 1);
      }
    }
  }
}
