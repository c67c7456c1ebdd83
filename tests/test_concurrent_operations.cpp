// The concurrent operations — concurrent_write, with_concurrent_response, parallel_execute —
// and worker actors, through a real server.
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/concurrent.hpp>

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;
using fastactor::context;
using fastactor::response_handle;
using fastactor::task_result;

SCENARIO("concurrent_write from many threads at once loses and tears nothing", "[concurrent]") {
  fastactor::router r;
  r.get("/many", [](context& ctx) {
    for (int t = 0; t < 8; ++t)
      ctx.go([t](fastactor::task_context& task) {
        for (int i = 0; i < 200; ++i)
          fastactor::concurrent_write(
            task.output(), "thread " + std::to_string(t) + " line " + std::to_string(i) + "\n");
      });
  });
  test_server srv{std::move(r)};
  auto resp = http_get(srv.port(), "/many");
  REQUIRE(resp.complete);
  std::map<int, int> next_of_thread;  // one thread's lines arrive in its order
  std::size_t start = 0, count = 0;
  for (auto nl = resp.body.find('\n'); nl != std::string::npos; nl = resp.body.find('\n', start)) {
    int t = -1, i = -1;
    REQUIRE(std::sscanf(resp.body.c_str() + start, "thread %d line %d", &t, &i) == 2);
    CHECK(i == next_of_thread[t]++);
    start = nl + 1;
    ++count;
  }
  CHECK(count == 8 * 200);
}

SCENARIO("with_concurrent_response collects what its scope's workers write and throw",
         "[concurrent]") {
  fastactor::router r;
  r.get("/scope", [](context& ctx) {
    ctx.buffer_response();
    fastactor::with_concurrent_response(ctx, [](fastactor::concurrent_response& cr) {
      cr.spawn([](caf::event_based_actor* self, response_handle out) {
        fastactor::concurrent_write(self, out, "from worker\n");
      });
      cr.go([](fastactor::task_context& t) { t.write("from task\n"); });
      cr.ctx().go(
        [](fastactor::task_context& t) { t.fail("lookup failed", fastactor::status::not_found); },
        "lookup");
      throw std::runtime_error("scope body failed after starting its workers");
    });
  });
  r.get("/scope-ok", [](context& ctx) {
    fastactor::with_concurrent_response(ctx, [](fastactor::concurrent_response& cr) {
      cr.write("direct\n");
      cr.go([](fastactor::task_context& t) {
        std::this_thread::sleep_for(50ms);
        t.write("later\n");
      });
    });
  });
  test_server srv{std::move(r)};
  WHEN("the scope body throws") {
    auto resp = http_get(srv.port(), "/scope");
    auto doc = nlohmann::json::parse(resp.body);
    THEN("the exception is an error entry and the workers' output is still reported") {
      CHECK(resp.status == 500);
      REQUIRE(doc["errors"].size() == 2);
      CHECK(doc["errors"][0]["source"] == "with_concurrent_response");
      CHECK(doc["errors"][1]["source"] == "lookup");  // a task's own failure names its source
      CHECK(doc["results"].size() == 2);
    }
  }
  WHEN("the scope succeeds") {
    auto resp = http_get(srv.port(), "/scope-ok");
    THEN("the response ends only after the scope's task is done") {
      CHECK(resp.status == 200);
      CHECK(resp.body == "direct\nlater\n");
    }
  }
}

SCENARIO("parallel_execute writes in completion order or, on request, in task order",
         "[concurrent]") {
  auto tasks = [] {
    std::vector<fastactor::task> list;
    for (int i = 1; i <= 3; ++i)
      list.push_back([i] {
        std::this_thread::sleep_for(std::chrono::milliseconds((3 - i) * 80));
        return task_result{std::to_string(i)};
      });
    return list;
  };
  fastactor::router r;
  r.get("/completion", [&](context& ctx) { fastactor::parallel_execute(ctx, tasks()); });
  r.get("/ordered", [&](context& ctx) {
    fastactor::parallel_execute(ctx, tasks(), {fastactor::result_order::task});
  });
  test_server srv{std::move(r)};
  CHECK(http_get(srv.port(), "/completion").body == "321");
  CHECK(http_get(srv.port(), "/ordered").body == "123");
}

SCENARIO("parallel_execute reports every failed task and keeps the successful results",
         "[concurrent][errors]") {
  fastactor::router r;
  r.get("/mixed", [](context& ctx) {
    fastactor::parallel_execute(
      ctx,
      {
        [] { return task_result{"a"}; },
        [] { return task_result::failure("no luck", fastactor::status::bad_gateway); },
        []() -> task_result { throw std::runtime_error("kaput"); },
      },
      {fastactor::result_order::task});
  });
  test_server srv{std::move(r)};
  auto resp = http_get(srv.port(), "/mixed");
  THEN("streamed: the result is the body and both errors are in the trailer") {
    CHECK(resp.body == "a");
    auto errors = nlohmann::json::parse(resp.trailers.at("fastactor-errors"));
    REQUIRE(errors.size() == 2);
    CHECK(errors[0]["source"] == "task 2");
    CHECK(errors[0]["status"] == 502);
    CHECK(errors[1]["message"] == "threw: kaput");
  }
}

SCENARIO("blocking tasks run in the pool, never on the actor scheduler", "[concurrent][pool]") {
  // The only scheduler thread is taken by a worker that blocks it until all four tasks are
  // done (3 s at most). A task scheduled on the actor scheduler could not run before that
  // worker gives up; a task in the pool finishes while it blocks, on a thread of its own.
  struct probe_state {
    std::mutex m;
    std::condition_variable cv;
    bool scheduler_blocked = false;
    int tasks_done = 0;
    std::thread::id scheduler_thread;
    std::vector<std::thread::id> task_threads;
  };
  auto probe = std::make_shared<probe_state>();
  auto cfg = test_server::default_config();
  cfg.actor_threads = 1;
  cfg.blocking_threads = 4;
  fastactor::router r;
  r.get("/block", [probe](context& ctx) {
    ctx.spawn([probe](caf::event_based_actor* self, response_handle out) {
      std::unique_lock<std::mutex> lock{probe->m};
      probe->scheduler_thread = std::this_thread::get_id();
      probe->scheduler_blocked = true;
      probe->cv.notify_all();
      bool all_done = probe->cv.wait_for(lock, 3s, [&] { return probe->tasks_done == 4; });
      lock.unlock();
      out.write(self,
                all_done ? "[tasks done while the scheduler was blocked]"
                         : "[tasks stuck while the scheduler was blocked]");
    });
    std::vector<fastactor::task> tasks(4, [probe] {
      std::unique_lock<std::mutex> lock{probe->m};
      probe->cv.wait_for(lock, 3s, [&] { return probe->scheduler_blocked; });
      probe->task_threads.push_back(std::this_thread::get_id());
      ++probe->tasks_done;
      probe->cv.notify_all();
      return task_result{"z"};
    });
    fastactor::parallel_execute(ctx, std::move(tasks));
  });
  test_server srv{std::move(r), cfg};
  WHEN("a request runs four blocking tasks while its worker blocks the only scheduler thread") {
    auto start = clock_type::now();
    auto resp = http_get(srv.port(), "/block");
    auto took = ms_between(start, clock_type::now());
    THEN("all tasks finish meanwhile, each on a thread that is not the scheduler's") {
      CHECK(resp.status == 200);
      CHECK(resp.body.find("[tasks done while the scheduler was blocked]") != std::string::npos);
      CHECK(std::count(resp.body.begin(), resp.body.end(), 'z') == 4);
      CHECK(took < 2500);
      std::lock_guard<std::mutex> guard{probe->m};
      REQUIRE(probe->task_threads.size() == 4);
      for (auto id : probe->task_threads)
        CHECK(id != probe->scheduler_thread);
      CHECK(srv.idle());
    }
  }
}

namespace {

struct counter_state {
  int n = 0;
};

caf::behavior counting_worker(caf::stateful_actor<counter_state>* self, response_handle out,
                              int upto) {
  self->send(self, caf::atom("count"));
  return {
    [=](caf::atom_value) {
      out.write(self, std::to_string(++self->state.n));
      if (self->state.n == upto)
        return self->quit();
      self->send(self, caf::atom("count"));
    },
  };
}

}  // namespace

SCENARIO("a stateful actor can be a worker, with arguments of its own", "[concurrent][workers]") {
  fastactor::router r;
  r.get("/count/:n", [](context& ctx) {
    ctx.spawn(counting_worker, std::stoi(std::string{*ctx.req().path_param("n")}));
  });
  test_server srv{std::move(r)};
  CHECK(http_get(srv.port(), "/count/5").body == "12345");
  CHECK(srv.idle());
}

namespace {

/// Threads of this process now (the test runs the server in-process).
std::size_t process_threads() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

}  // namespace

SCENARIO("a burst of parallel tasks does not leave its threads behind", "[concurrent]") {
  GIVEN("a server whose pool threads end after 200 ms idle") {
    auto cfg = test_server::default_config();
    cfg.blocking_idle_ms = 200;
    fastactor::router r;
    r.get("/burst", [](context& ctx) {
      std::vector<fastactor::task> tasks;
      for (int i = 0; i < 20; ++i)
        tasks.push_back([] {
          std::this_thread::sleep_for(300ms);
          return task_result{"."};
        });
      fastactor::parallel_execute(ctx, std::move(tasks));
    });
    test_server srv{std::move(r), cfg};
    CHECK(http_get(srv.port(), "/hello").status == 404);  // the server's threads are up
    auto before = process_threads();
    WHEN("five requests run 100 blocking tasks at once") {
      std::vector<std::future<http_response>> answers;
      for (int i = 0; i < 5; ++i)
        answers.push_back(
          std::async(std::launch::async, [&] { return http_get(srv.port(), "/burst"); }));
      for (auto& a : answers)
        CHECK(a.get().body == std::string(20, '.'));
      THEN("the pool's threads end once idle, all but one: the process is back to its "
           "threads before, and the one that stays for the next task") {
        CHECK(eventually([&] { return process_threads() <= before + 1; }, 10s));
        INFO("threads before " << before << ", now " << process_threads());
        CHECK(srv.stats().running_tasks == 0);
      }
    }
  }
}
