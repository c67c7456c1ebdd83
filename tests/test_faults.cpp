// Faults injected on purpose: clients that vanish, handlers and workers that throw, requests
// that outlive their deadline, producers that keep writing after their request ended.
#include "support/http_client.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/concurrent.hpp>

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <future>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;
using fastactor::context;
using fastactor::response_handle;

namespace {

/// The shared routes these scenarios exercise (tests/support/test_routes.hpp).
fastactor::router test_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  r.get("/stream/concurrent", shared_routes::stream_concurrent);
  return r;
}

}  // namespace

SCENARIO("a client that disconnects mid-stream stops that request's workers", "[faults]") {
  test_server srv{test_routes()};
  GIVEN("a slow stream that would run for 100 seconds") {
    http_client c{srv.port()};
    c.send_get("/stream?n=1000&size=10&interval_ms=100");
    auto start = c.read_available(300ms);
    REQUIRE(start.find("HTTP/1.1 200 OK") == 0);
    REQUIRE(srv.stats().live_workers == 1);
    WHEN("the client vanishes") {
      c.close();
      THEN("the worker is stopped and the stream ends, long before it would have finished") {
        CHECK(srv.idle(5s));
        CHECK(srv.stats().active_streams == 0);
        CHECK(srv.stats().client_disconnects_total == 1);
        CHECK(srv.server().wait_for([](auto& s) { return s.live_connections == 0; }, 5s));
      }
      AND_THEN("the server still serves others") {
        CHECK(http_get(srv.port(), "/hello").body == "ok");
      }
    }
  }
  GIVEN("a request whose workers have sent nothing yet") {
    http_client c{srv.port()};
    c.send_get("/stream/concurrent");
    REQUIRE(srv.server().wait_for([](auto& s) { return s.live_workers == 3; }, 5s));
    c.close();
    THEN("all its workers stop") {
      CHECK(srv.idle(5s));
    }
  }
}

SCENARIO("a handler that throws gets a 500 and the server goes on", "[faults][errors]") {
  fastactor::router r;
  r.get("/throw", [](context&) { throw std::runtime_error("handler bug"); });
  r.get("/hello", [](context& ctx) { ctx.write("ok"); });
  test_server srv{std::move(r)};
  http_client c{srv.port()};
  auto bad = c.get("/throw");
  CHECK(bad.status == 500);
  CHECK(bad.body.find("threw: handler bug") != std::string::npos);
  CHECK(c.get("/hello").body == "ok");  // same connection, still alive
}

SCENARIO("a worker that throws mid-stream is reported in the trailer", "[faults][errors]") {
  fastactor::router r;
  r.get("/bad-worker", [](context& ctx) {
    ctx.spawn([](caf::event_based_actor* self, response_handle out) -> caf::behavior {
      out.write(self, "partial\n");
      self->send(self, 1);
      return {[](int) -> int { throw std::runtime_error("worker bug"); }};
    });
  });
  test_server srv{std::move(r)};
  auto resp = http_get(srv.port(), "/bad-worker");
  CHECK(resp.status == 200);
  CHECK(resp.complete);
  CHECK(resp.body == "partial\n");
  CHECK(resp.trailers.at("fastactor-errors").find("threw: worker bug") != std::string::npos);
  CHECK(srv.idle());
}

SCENARIO("a worker that exits with an error reason is reported", "[faults][errors]") {
  fastactor::router r;
  r.get("/quits", [](context& ctx) {
    ctx.buffer_response();
    ctx.spawn([](caf::event_based_actor* self, response_handle) {
      self->quit(caf::make_error(caf::sec::invalid_argument));
    });
  });
  test_server srv{std::move(r)};
  auto resp = http_get(srv.port(), "/quits");
  CHECK(resp.status == 500);
  CHECK(resp.body.find("exited: ") != std::string::npos);
  CHECK(resp.body.find("invalid_argument") != std::string::npos);
}

SCENARIO("the request deadline ends requests that take too long", "[faults][deadline]") {
  auto cfg = test_server::default_config();
  cfg.request_timeout_ms = 300;
  fastactor::router r = test_routes();
  r.get("/never", [](context& ctx) {
    ctx.spawn(
      [](caf::event_based_actor*, response_handle) -> caf::behavior { return {[](int) {}}; });
  });
  test_server srv{std::move(r), cfg};
  WHEN("nothing was sent before the deadline") {
    http_client c{srv.port()};
    auto resp = c.get("/never");
    THEN("the client gets 503 naming the deadline, and the worker is stopped") {
      CHECK(resp.status == 503);
      CHECK(resp.body.find("request deadline of 300 ms exceeded") != std::string::npos);
      CHECK(srv.idle());
      AND_THEN("the connection is still usable") {
        CHECK(c.get("/hello").body == "ok");
      }
    }
  }
  WHEN("streaming had begun") {
    http_client c{srv.port()};
    auto resp = c.get("/stream?n=100&size=10&interval_ms=100");
    THEN("the response is cut off without its last chunk, so the client can tell") {
      CHECK(resp.status == 200);
      CHECK_FALSE(resp.complete);
      CHECK(resp.body.size() < 1000);
      CHECK(c.closed_by_peer());
      CHECK(srv.idle());
    }
  }
}

SCENARIO("a producer of a finished request never gets a byte into the next response",
         "[faults][isolation]") {
  std::atomic<bool> stop{false};
  std::thread leaker;
  fastactor::router r;
  // The handler gives its response handle to a thread it does not register as a producer:
  // the response completes at once, and the thread keeps writing into the ended request.
  r.get("/leaky", [&](context& ctx) {
    auto out = ctx.output();
    leaker = std::thread([out, &stop] {
      while (!stop) {
        fastactor::concurrent_write(out, "LEAK");
        std::this_thread::sleep_for(1ms);
      }
    });
    ctx.write("first");
  });
  r.get("/slow", [](context& ctx) {
    fastactor::parallel_execute(ctx,
                                {[] {
                                   std::this_thread::sleep_for(100ms);
                                   return fastactor::task_result{"slow 1 "};
                                 },
                                 [] {
                                   std::this_thread::sleep_for(200ms);
                                   return fastactor::task_result{"slow 2"};
                                 }});
  });
  test_server srv{std::move(r)};
  http_client c{srv.port()};
  auto first = c.get("/leaky");
  auto second = c.get("/slow");
  auto third = c.get("/slow");
  stop = true;
  leaker.join();
  CHECK(first.body == "first");
  CHECK(second.body == "slow 1 slow 2");
  CHECK(third.body == "slow 1 slow 2");
  CHECK(srv.stats().stale_messages_total > 0);
}

SCENARIO("an actor that watches a writer learns of its end when the client leaves", "[faults]") {
  // The writer's last turn sends its down and exit messages after the writer let its
  // connection go (CAF's finalize: on_exit, then cleanup through the execution unit); the
  // connection, which owns the unit, must live to the end of that turn. No deadline: its
  // pending timer used to keep the connection alive by accident.
  auto cfg = test_server::default_config();
  cfg.request_timeout_ms = 0;
  std::promise<caf::actor> writer_of_request;
  fastactor::router routes;
  routes.get("/watched", [&writer_of_request](context& ctx) {
    writer_of_request.set_value(ctx.output().writer());
    ctx.go([](fastactor::task_context& t) {  // a response that stays open
      while (!t.cancelled())
        std::this_thread::sleep_for(5ms);
    });
  });
  test_server srv{std::move(routes), cfg};
  GIVEN("a response under way and an actor monitoring its writer") {
    http_client c{srv.port()};
    c.send_get("/watched");
    auto writer = writer_of_request.get_future().get();
    caf::scoped_actor watcher{srv.server().system()};
    watcher->monitor(writer);
    writer = nullptr;
    WHEN("the client vanishes") {
      c.close();
      THEN("the watcher gets the writer's down message, and the connection is gone") {
        bool down = false;
        watcher->receive([&](caf::down_msg&) { down = true; }, caf::after(5s) >> [] {});
        CHECK(down);
        CHECK(srv.server().wait_for([](auto& s) { return s.live_connections == 0; }, 5s));
        CHECK(srv.idle(5s));
      }
    }
  }
}

namespace {

/// A worker that ends itself with `kill`, the one exit reason CAF applies before any handler.
void suicidal_worker(caf::event_based_actor* self, response_handle) {
  self->quit(caf::exit_reason::kill);
}

/// A worker that ignores polite exit requests: only `kill` stops it.
caf::behavior stubborn_worker(caf::event_based_actor* self, response_handle) {
  self->set_exit_handler([](caf::exit_msg&) {});
  return {[](int) {}};
}

fastactor::router fault_routes() {
  auto r = test_routes();
  r.get("/killed", [](context& ctx) { ctx.spawn(suicidal_worker); });
  r.get("/stubborn", [](context& ctx) { ctx.spawn(stubborn_worker); });
  r.get("/many-errors", [](context& ctx) {
    for (int i = 0; i < 100; ++i)
      ctx.spawn([](caf::event_based_actor* self, response_handle out) {
        out.fail(self, std::string(5000, 'e'));  // long too: cut to a bounded length
      });
  });
  r.get("/many-errors-streamed", [](context& ctx) {
    ctx.write("streaming\n");
    ctx.spawn([](caf::event_based_actor* self, response_handle out) {
      self->delayed_send(self, 50ms, 1);
      return caf::behavior{[=](int) {
        for (int i = 0; i < 100; ++i)
          out.fail(self, "worker error " + std::to_string(i) + std::string(300, '.'));
        self->quit();
      }};
    });
  });
  return r;
}

}  // namespace

SCENARIO("a worker that exits with kill fails its own request, not the connection", "[faults]") {
  test_server srv{fault_routes()};
  http_client c{srv.port()};
  auto r = c.get("/killed");
  THEN("its request reports the worker's end; the writer and connection go on") {
    CHECK(r.status == 500);
    CHECK(r.body.find("exited") != std::string::npos);
    CHECK(c.get("/hello").body == "ok");
    CHECK(srv.stats().live_writers == 1);
  }
}

SCENARIO("a worker with its own exit handler is still stopped when its request ends", "[faults]") {
  auto cfg = test_server::default_config();
  cfg.request_timeout_ms = 300;
  test_server srv{fault_routes(), cfg};
  auto r = http_get(srv.port(), "/stubborn");
  CHECK(r.status == 503);  // the deadline
  CHECK(srv.idle(5s));
  CHECK(srv.stats().live_workers == 0);
}

SCENARIO("errors are bounded per response: the report keeps 32 and counts the rest",
         "[faults][errors]") {
  test_server srv{fault_routes()};
  WHEN("a hundred workers fail before the first byte") {
    auto r = http_get(srv.port(), "/many-errors");
    auto report = nlohmann::json::parse(r.body);
    THEN("the report lists 32 errors, each cut short, and counts 68 more") {
      CHECK(r.status == 500);
      CHECK(report["errors"].size() == 32);
      CHECK(report["dropped"] == 68);
      CHECK(report["errors"][0]["message"].get<std::string>().size() <= 1024 + 3);
    }
  }
  WHEN("a hundred errors come after streaming began") {
    auto r = http_get(srv.port(), "/many-errors-streamed");
    THEN("the trailer stays small and says how many it left out") {
      REQUIRE(r.complete);
      auto listed = nlohmann::json::parse(r.trailers.at("fastactor-errors"));
      CHECK(r.trailers.at("fastactor-errors").size() <= 8 * 1024);
      CHECK(listed.size() + std::stoul(r.trailers.at("fastactor-errors-dropped")) == 100);
    }
  }
}

// Policy: a client that half-closes (shutdown(SHUT_WR)) after its request is treated as
// gone, as Go's server treats a read EOF (it cancels the request's context). A streamed
// response is ended and its workers stopped at once rather than at the next failed write.
SCENARIO("a client that half-closes after its request is treated as gone", "[faults]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  c.send_get("/stream?n=1000&size=10&interval_ms=100");
  REQUIRE(srv.server().wait_for([](auto& s) { return s.live_workers == 1; }, 3s));
  c.shutdown_send();
  THEN("the request ends and its worker is stopped") {
    CHECK(srv.idle(5s));
    CHECK(srv.stats().client_disconnects_total == 1);
  }
}

SCENARIO("a writer killed from outside still stops its request's tasks", "[faults]") {
  auto routes = test_routes();
  routes.get("/regicide", [](context& ctx) {
    ctx.go([](fastactor::task_context& t) {
      while (!t.cancelled())  // the documented pattern: stop once the request has ended
        std::this_thread::sleep_for(10ms);
    });
    ctx.spawn([](caf::event_based_actor* self, response_handle out) {
      self->send_exit(out.writer(), caf::exit_reason::kill);  // the one exit nobody can refuse
    });
  });
  test_server srv{routes};
  http_client c{srv.port()};
  c.send_get("/regicide");
  THEN("the connection closes, the task sees the cancel flag, the gauges return to zero") {
    CHECK(c.closed_by_peer(5s));
    CHECK(srv.idle(5s));
    CHECK(srv.stats().active_streams == 0);
    CHECK(srv.stats().live_writers == 0);
  }
}
