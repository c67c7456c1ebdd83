// A request's duration (fastactor_request_duration_seconds, the access log's time) runs from
// its arrival — the read that brought its first byte, as nginx's $request_time — to its last
// byte: a slow upload counts, and so does the wait of a pipelined request behind the one
// before it; the idle time before a keep-alive request does not. The request timeout counts
// from when the handler returned with the response still open: an upload's time is not taken
// from its producers', nor is the handler's own.
#include "support/eventually.hpp"
#include "support/h2_client.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

fastactor::router duration_routes() {
  fastactor::router r;
  r.get("/hello", [](fastactor::context& ctx) { ctx.write("ok"); });
  r.post("/upload", [](fastactor::context& ctx) {  // answered by a task, 100 ms later
    auto size = ctx.req().body.size();
    ctx.go([size](fastactor::task_context& t) {
      std::this_thread::sleep_for(100ms);
      t.write(std::to_string(size));
    });
  });
  r.get("/slow", [](fastactor::context& ctx) {  // answered by a task, 300 ms later
    ctx.go([](fastactor::task_context& t) {
      std::this_thread::sleep_for(300ms);
      t.write("slow");
    });
  });
  r.get("/busy", [](fastactor::context& ctx) {  // 600 ms in the handler, then a 200 ms task
    std::this_thread::sleep_for(600ms);
    ctx.go([](fastactor::task_context& t) {
      std::this_thread::sleep_for(200ms);
      t.write("busy");
    });
  });
  r.get("/slower", [](fastactor::context& ctx) {  // answered by a task, 600 ms later
    ctx.go([](fastactor::task_context& t) {
      std::this_thread::sleep_for(600ms);
      t.write("slower");
    });
  });
  r.get("/metrics", fastactor::metrics_handler());
  return r;
}

struct durations {
  double sum = 0;  ///< seconds
  long count = 0;
};

/// The server's request_duration sum and count, read from /metrics on a connection of its own
/// (the reading request's own duration is recorded after its output).
durations read_durations(std::uint16_t port) {
  http_client c{port};
  auto r = c.get("/metrics");
  REQUIRE(r.status == 200);
  auto number_after = [&](const std::string& name) {
    auto at = r.body.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stod(r.body.substr(at + name.size() + 2));
  };
  return {number_after("fastactor_request_duration_seconds_sum"),
          static_cast<long>(number_after("fastactor_request_duration_seconds_count"))};
}

/// The durations once `count` requests more than `before` are counted (a request is counted
/// just after its last byte went out, so its client may read /metrics first).
durations durations_after(std::uint16_t port, const durations& before, long count) {
  durations now;
  eventually([&] {
    now = read_durations(port);
    return now.count >= before.count + count + 1;  // + the /metrics read before
  });
  return now;
}

/// POSTs four body bytes to /upload, the last two `delay` after the rest; its response.
http_response slow_upload(http_client& c, std::chrono::milliseconds delay) {
  c.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab");
  std::this_thread::sleep_for(delay);
  c.send("cd");
  return c.read_response();
}

}  // namespace

SCENARIO("a request's duration runs from the read of its first byte to its last byte",
         "[metrics][duration]") {
  test_server srv{duration_routes()};
  auto before = read_durations(srv.port());
  http_client c{srv.port()};
  GIVEN("a POST whose body comes 500 ms after its header") {
    auto r = slow_upload(c, 500ms);
    REQUIRE(r.status == 200);
    REQUIRE(r.body == "4");
    THEN("its duration counts the upload") {
      auto after = durations_after(srv.port(), before, 1);
      CHECK(after.sum - before.sum >= 0.35);
    }
  }
  GIVEN("a header that comes in two parts 500 ms apart") {
    c.send("GET /hello HTTP/1.1\r\nHo");
    std::this_thread::sleep_for(500ms);
    c.send("st: h\r\n\r\n");
    REQUIRE(c.read_response().body == "ok");
    THEN("its duration counts from the first part") {
      auto after = durations_after(srv.port(), before, 1);
      CHECK(after.sum - before.sum >= 0.25);
    }
  }
  GIVEN("a request pipelined behind one that takes 300 ms") {
    c.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
    WHEN("a third request comes 250 ms later, while the first is answered") {
      std::this_thread::sleep_for(250ms);
      c.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
      REQUIRE(c.read_response().body == "slow");
      REQUIRE(c.read_response().body == "ok");
      REQUIRE(c.read_response().body == "ok");
      THEN("the second counts its whole wait (the third's later read is not its arrival)") {
        // 0.3 (the first) + 0.3 (the second, from the first read) + the third's short wait;
        // had the third's read been taken as the second's arrival: ~0.4.
        auto after = durations_after(srv.port(), before, 3);
        CHECK(after.sum - before.sum >= 0.6);
      }
    }
  }
  GIVEN("a keep-alive request sent 1 s after the response before it") {
    REQUIRE(c.get("/hello").body == "ok");
    std::this_thread::sleep_for(1s);
    REQUIRE(c.get("/hello").body == "ok");
    THEN("the idle time between them is no request's") {
      auto after = durations_after(srv.port(), before, 2);
      CHECK(after.sum - before.sum < 0.8);
    }
  }
}

SCENARIO("an HTTP/2 stream's duration runs from its HEADERS", "[duration][http2]") {
  test_server srv{duration_routes()};
  auto before = read_durations(srv.port());
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  GIVEN("a POST stream whose body comes 500 ms after its HEADERS") {
    auto id = c.submit_open("POST", "/upload");
    c.run_for(500ms);
    c.send_body(id, "abcd", true);
    REQUIRE(c.wait_for(id, 5s));
    REQUIRE(c.response(id).status == 200);
    REQUIRE(c.response(id).body == "4");
    THEN("its duration counts the upload") {
      auto after = durations_after(srv.port(), before, 1);
      CHECK(after.sum - before.sum >= 0.35);
    }
  }
}

SCENARIO("the request timeout counts from when the handler returned with the response open",
         "[duration][limits][deadline]") {
  auto cfg = test_server::default_config();
  cfg.request_timeout_ms = 400;
  test_server srv{duration_routes(), cfg};
  http_client c{srv.port()};
  GIVEN("a handler that takes 600 ms itself and leaves a task that answers 200 ms later") {
    auto r = c.get("/busy");
    THEN("it is answered: the handler's own time is not the deadline's") {
      CHECK(r.status == 200);
      CHECK(r.body == "busy");
    }
  }
  GIVEN("a handler that returns at once and leaves a task that answers 600 ms later") {
    auto r = c.get("/slower");
    THEN("the deadline ends it with 503 before its task answers") {
      CHECK(r.status == 503);
      CHECK(r.body.find("slower") == std::string::npos);
    }
  }
}

SCENARIO("the request timeout does not count the upload", "[duration][limits]") {
  auto cfg = test_server::default_config();
  cfg.request_timeout_ms = 400;
  test_server srv{duration_routes(), cfg};
  http_client c{srv.port()};
  GIVEN("an upload that takes 800 ms, answered 100 ms after it is in") {
    auto r = slow_upload(c, 800ms);
    THEN("it is answered, not refused as late") {
      CHECK(r.status == 200);
      CHECK(r.body == "4");
    }
  }
}
