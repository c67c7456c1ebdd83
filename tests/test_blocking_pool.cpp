// The blocking pool: threads start as tasks need them, up to the bound, are reused, and end
// when idle too long.
#include "actors/blocking_pool.hpp"
#include "support/eventually.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace fastactor;
using namespace std::chrono_literals;

using testing::eventually;

SCENARIO("the blocking pool starts threads only as tasks need them", "[pool]") {
  blocking_pool pool{4};
  THEN("a new pool has no thread") {
    CHECK(pool.size() == 0);
  }
  WHEN("tasks run one after another") {
    std::atomic<int> done{0};
    for (int i = 0; i < 5; ++i) {
      REQUIRE(pool.post([&] { ++done; }));
      REQUIRE(eventually([&] { return done == i + 1; }));
    }
    THEN("one thread serves them all") {
      CHECK(pool.size() == 1);
    }
  }
  WHEN("six tasks block at once") {
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::atomic<int> started{0}, done{0};
    for (int i = 0; i < 6; ++i)
      REQUIRE(pool.post([&, gate] {
        ++started;
        gate.wait();
        ++done;
      }));
    THEN("four run (the bound) and two wait; all six finish once they may") {
      CHECK(eventually([&] { return started == 4; }));
      std::this_thread::sleep_for(50ms);
      CHECK(started == 4);
      CHECK(pool.size() == 4);
      release.set_value();
      CHECK(eventually([&] { return done == 6; }));
      CHECK(pool.size() == 4);
    }
  }
}

SCENARIO("a stopped blocking pool refuses tasks and drops the queued ones", "[pool]") {
  blocking_pool pool{1};
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<bool> queued_ran{false};
  REQUIRE(pool.post([gate] { gate.wait(); }));
  REQUIRE(pool.post([&] { queued_ran = true; }));
  auto stopper = std::async(std::launch::async, [&] { pool.stop(); });
  REQUIRE(eventually([&] { return !pool.post([] {}); }));
  release.set_value();
  stopper.get();
  CHECK_FALSE(queued_ran);
}

SCENARIO("idle blocking-pool threads end, and the pool starts new ones when needed", "[pool]") {
  GIVEN("a pool whose threads end after 100 ms idle") {
    blocking_pool pool{64, 100ms};
    WHEN("a burst of 50 blocking tasks has run") {
      std::promise<void> release;
      auto gate = release.get_future().share();
      std::atomic<int> started{0}, done{0};
      for (int i = 0; i < 50; ++i)
        REQUIRE(pool.post([&, gate] {
          ++started;
          gate.wait();
          ++done;
        }));
      REQUIRE(eventually([&] { return started == 50; }));
      CHECK(pool.size() == 50);
      release.set_value();
      REQUIRE(eventually([&] { return done == 50; }));
      THEN("its threads end once idle (generous bound: the machine may be busy)") {
        CHECK(eventually([&] { return pool.size() == 0; }, 10s));
        AND_THEN("a new task still runs, on a new thread") {
          std::atomic<bool> ran{false};
          REQUIRE(pool.post([&] { ran = true; }));
          CHECK(eventually([&] { return ran.load(); }));
          CHECK(pool.size() <= 1);
        }
      }
    }
  }
  GIVEN("a pool whose threads never end by themselves (idle timeout 0)") {
    blocking_pool pool{4, 0ms};
    std::atomic<bool> ran{false};
    REQUIRE(pool.post([&] { ran = true; }));
    REQUIRE(eventually([&] { return ran.load(); }));
    THEN("the thread stays") {
      std::this_thread::sleep_for(200ms);
      CHECK(pool.size() == 1);
    }
  }
}

SCENARIO("stop waits for a running task, even with threads that retire", "[pool]") {
  blocking_pool pool{2, 50ms};
  std::atomic<bool> started{false}, finished{false};
  REQUIRE(pool.post([&] {
    started = true;
    std::this_thread::sleep_for(200ms);
    finished = true;
  }));
  REQUIRE(eventually([&] { return started.load(); }));
  pool.stop();
  CHECK(finished);
  CHECK(pool.size() == 0);
}
