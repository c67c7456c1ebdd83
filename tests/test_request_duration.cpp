// A request's duration (fastactor_request_duration_seconds, the access log's time) runs from
// its arrival — the read that brought its first byte, as nginx's $request_time — to its last
// byte: a slow upload counts, and so does the wait of a pipelined request behind the one
// before it; the idle time before a keep-alive request does not.
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
  r.post("/upload",
         [](fastactor::context& ctx) { ctx.write(std::to_string(ctx.req().body.size())); });
  r.get("/slow", [](fastactor::context& ctx) {  // answered by a blocking task, 300 ms later
    ctx.go([](fastactor::task_context& t) {
      std::this_thread::sleep_for(300ms);
      t.write("slow");
    });
  });
  r.get("/metrics", fastactor::metrics_handler());
  return r;
}

/// The server's request_duration sum and count, read from /metrics on a connection of its own
/// (the reading request's own duration is recorded after its output).
std::pair<double, long> duration_sum_and_count(std::uint16_t port) {
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

}  // namespace

SCENARIO("a request's duration runs from the read of its first byte to its last byte",
         "[metrics][duration]") {
  test_server srv{duration_routes()};
  auto [sum_before, count_before] = duration_sum_and_count(srv.port());
  http_client c{srv.port()};
  GIVEN("a POST whose body comes 400 ms after its header") {
    c.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab");
    std::this_thread::sleep_for(400ms);
    c.send("cd");
    auto r = c.read_response();
    REQUIRE(r.status == 200);
    REQUIRE(r.body == "4");
    THEN("its duration counts the upload") {
      auto [sum, count] = duration_sum_and_count(srv.port());
      CHECK(count == count_before + 2);  // the upload and the first /metrics
      CHECK(sum - sum_before >= 0.35);
    }
  }
  GIVEN("a header that comes in two parts 300 ms apart") {
    c.send("GET /hello HTTP/1.1\r\nHo");
    std::this_thread::sleep_for(300ms);
    c.send("st: h\r\n\r\n");
    REQUIRE(c.read_response().body == "ok");
    THEN("its duration counts from the first part") {
      auto [sum, count] = duration_sum_and_count(srv.port());
      CHECK(count == count_before + 2);
      CHECK(sum - sum_before >= 0.25);
    }
  }
  GIVEN("a request pipelined behind one that takes 300 ms") {
    c.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(c.read_response().body == "slow");
    REQUIRE(c.read_response().body == "ok");
    THEN("its duration counts its wait: both took 300 ms or more") {
      auto [sum, count] = duration_sum_and_count(srv.port());
      CHECK(count == count_before + 3);
      CHECK(sum - sum_before >= 0.55);
    }
  }
  GIVEN("a keep-alive request sent 600 ms after the response before it") {
    REQUIRE(c.get("/hello").body == "ok");
    std::this_thread::sleep_for(600ms);
    REQUIRE(c.get("/hello").body == "ok");
    THEN("the idle time between them is no request's") {
      auto [sum, count] = duration_sum_and_count(srv.port());
      CHECK(count == count_before + 3);
      CHECK(sum - sum_before < 0.3);
    }
  }
}
