// The blocking pool: threads start as tasks need them, up to the bound, are reused, and end
// when idle too long, all but the last; a thread that cannot be started strands no task.
#include "actors/blocking_pool.hpp"
#include "support/eventually.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <future>
#include <memory>
#include <new>
#include <system_error>
#include <thread>
#include <utility>

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
      THEN("its threads end once idle, all but one (generous bound: the machine may be busy)") {
        CHECK(eventually([&] { return pool.size() == 1; }, 10s));
        std::this_thread::sleep_for(300ms);
        CHECK(pool.size() == 1);
        AND_THEN("a new task runs on the thread that stayed") {
          std::atomic<bool> ran{false};
          REQUIRE(pool.post([&] { ran = true; }));
          CHECK(eventually([&] { return ran.load(); }));
          CHECK(pool.size() == 1);
        }
      }
    }
  }
  GIVEN("a pool whose threads never end by themselves (idle timeout 0, or less)") {
    auto idle_timeout = GENERATE(0ms, -1ms);
    INFO("idle timeout " << idle_timeout.count() << " ms");
    blocking_pool pool{4, idle_timeout};
    std::atomic<bool> ran{false};
    REQUIRE(pool.post([&] { ran = true; }));
    REQUIRE(eventually([&] { return ran.load(); }));
    THEN("the thread stays, and waits without spinning") {
      auto cpu_before = std::clock();
      std::this_thread::sleep_for(300ms);
      double cpu_ms = 1000.0 * double(std::clock() - cpu_before) / CLOCKS_PER_SEC;
      CHECK(pool.size() == 1);
      CHECK(cpu_ms < 150);  // a spinning thread takes ~300 ms of it (generous: half)
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

namespace {

/// A thread_starter that starts the first `allowed` threads and then fails, as a pid limit
/// (std::thread throws std::system_error) or a memory limit (std::bad_alloc) would.
struct failing_starter {
  enum failure { no_thread, no_memory };
  explicit failing_starter(int allowed, failure how = no_thread)
    : left(std::make_shared<std::atomic<int>>(allowed)), how(how) {}

  void operator()(std::function<void()> body) const {
    if (left->fetch_sub(1) > 0)
      return blocking_pool::detached_thread(std::move(body));
    if (how == no_memory)
      throw std::bad_alloc();
    throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
  }

  std::shared_ptr<std::atomic<int>> left;
  failure how;
};

/// A gate (a promise) opened when the test leaves its scope, if not before.
struct opened_on_exit {
  explicit opened_on_exit(std::promise<void>& gate) : gate(gate) {}
  ~opened_on_exit() { open(); }
  void open() {
    if (!std::exchange(opened, true))
      gate.set_value();
  }
  std::promise<void>& gate;
  bool opened = false;
};

}  // namespace

SCENARIO("a blocking pool whose thread starts fail runs or refuses every task", "[pool]") {
  GIVEN("a pool that cannot start any thread") {
    blocking_pool pool{8, 100ms, failing_starter{0}};
    THEN("a task is refused at once, not queued for nobody") {
      CHECK_FALSE(pool.post([] {}));
      CHECK(pool.size() == 0);
    }
  }
  GIVEN("a pool that can start one thread, then no more") {
    auto how = GENERATE(failing_starter::no_thread, failing_starter::no_memory);
    INFO((how == failing_starter::no_thread ? "std::system_error" : "std::bad_alloc"));
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::atomic<int> done{0};
    blocking_pool pool{8, 100ms, failing_starter{1, how}};
    opened_on_exit open_task{release};  // before the pool ends, if a REQUIRE failed
    WHEN("five blocking tasks arrive at once") {
      for (int i = 0; i < 5; ++i)
        REQUIRE(pool.post([&, gate] {
          gate.wait();
          ++done;
        }));
      THEN("the one thread runs them all, one after another, and stop() still ends") {
        open_task.open();
        CHECK(eventually([&] { return done == 5; }));
        CHECK(pool.size() == 1);
        auto stopped = std::async(std::launch::async, [&] { pool.stop(); });
        REQUIRE(stopped.wait_for(10s) == std::future_status::ready);
        CHECK(pool.size() == 0);
      }
    }
    WHEN("its thread has been idle for longer than the idle timeout") {
      std::atomic<bool> first{false};
      REQUIRE(pool.post([&] { first = true; }));
      REQUIRE(eventually([&] { return first.load(); }));
      std::this_thread::sleep_for(400ms);
      THEN("it stayed, so a task still runs although no thread can be started") {
        std::atomic<bool> ran{false};
        REQUIRE(pool.post([&] { ran = true; }));
        CHECK(eventually([&] { return ran.load(); }));
      }
    }
  }
}

SCENARIO("a thread being started does not hold up the blocking pool", "[pool]") {
  // A start that takes long (a loaded machine; here it waits for a gate) must not keep the
  // running threads from their next task nor other posters from queueing theirs.
  std::promise<void> let_start;
  auto start_gate = let_start.get_future().share();
  std::atomic<int> starts{0};
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> done{0};  // (all declared before the pool: its tasks use them until it ends)
  blocking_pool pool{8, 0ms, [&, start_gate](std::function<void()> body) {
                       if (starts++ > 0)
                         start_gate.wait();
                       blocking_pool::detached_thread(std::move(body));
                     }};
  REQUIRE(pool.post([&, gate] {
    gate.wait();
    ++done;
  }));
  // The second task needs a second thread, whose start now hangs in another poster.
  auto slow_poster = std::async(std::launch::async, [&] { return pool.post([&] { ++done; }); });
  // Declared after the future: a failed REQUIRE opens both gates before anything waits for them.
  opened_on_exit open_start{let_start}, open_task{release};
  REQUIRE(eventually([&] { return starts == 2; }));
  WHEN("the first thread finishes its task while the second start hangs") {
    open_task.open();
    THEN("it takes the queued task itself, and a third poster is not kept waiting") {
      CHECK(eventually([&] { return done == 2; }));
      auto third = std::async(std::launch::async, [&] { return pool.post([&] { ++done; }); });
      bool third_returned = third.wait_for(5s) == std::future_status::ready;
      open_start.open();  // (had the start held the lock, the third poster waits for it)
      REQUIRE(third_returned);
      CHECK(third.get());
      CHECK(eventually([&] { return done == 3; }));
    }
  }
  open_start.open();
  CHECK(slow_poster.get());
}

SCENARIO("stop waits for a poster that is still starting a thread", "[pool]") {
  // The poster that starts a thread outside the lock uses the pool again once the start
  // returns: stop() must not return (and let the pool die) before it has. The start here
  // launches its thread and then waits at a gate, as a start preempted on its way out would.
  std::promise<void> let_start_return;
  auto start_gate = let_start_return.get_future().share();
  std::atomic<int> starts{0};
  std::promise<void> release;
  auto gate = release.get_future().share();
  auto pool = std::make_unique<blocking_pool>(8, 0ms, [&, start_gate](std::function<void()> body) {
    blocking_pool::detached_thread(std::move(body));
    if (starts++ > 0)
      start_gate.wait();
  });
  REQUIRE(pool->post([gate] { gate.wait(); }));
  auto slow_poster = std::async(std::launch::async, [&] { return pool->post([] {}); });
  opened_on_exit open_start{let_start_return}, open_task{release};
  REQUIRE(eventually([&] { return starts == 2; }));
  open_task.open();  // the first thread's task ends: only the poster still uses the pool
  WHEN("the pool is stopped meanwhile") {
    auto stopped = std::async(std::launch::async, [&] { pool->stop(); });
    THEN("stop() returns only after the poster is done with the pool") {
      CHECK(stopped.wait_for(300ms) == std::future_status::timeout);
      open_start.open();
      CHECK(slow_poster.get());
      REQUIRE(stopped.wait_for(10s) == std::future_status::ready);
      CHECK(pool->size() == 0);
      pool.reset();
    }
  }
  open_start.open();
  if (slow_poster.valid())
    slow_poster.wait();
}
