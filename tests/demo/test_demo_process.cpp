// The demo server as a user runs it: a separate process, its first stdout line, --help, bad
// options, and a clean exit on SIGTERM, also in the middle of streams.
#include "support/http_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace testing;
using namespace std::chrono_literals;

SCENARIO("the demo server announces its real port first and stops cleanly on SIGTERM",
         "[process]") {
  auto c = spawn_process(DEMO_SERVER_PATH, {"--port=0", "--access-log=0"});
  auto line = read_until(c.out, "\n", 10s);
  REQUIRE(line.rfind("listening on http://127.0.0.1:", 0) == 0);
  auto port = port_in(line);
  REQUIRE(port != 0);
  CHECK(http_get(port, "/hello").body == "ok");
  WHEN("SIGTERM arrives while streams are running") {
    http_client a{port}, b{port};
    a.send_get("/stream?n=1000&size=100&interval_ms=50");
    b.send_get("/stream/concurrent");
    a.read_available(200ms);
    c.signal(SIGTERM);
    THEN("it exits 0, promptly (the drain lasts at most 5 s)") {
      CHECK(c.wait_exit(10s) == 0);
    }
  }
}

SCENARIO("the demo server stops on SIGINT too", "[process]") {
  auto c = spawn_process(DEMO_SERVER_PATH, {"--port=0"});
  REQUIRE(port_in(read_until(c.out, "\n", 10s)) != 0);
  c.signal(SIGINT);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("the access log has a line per request", "[process]") {
  auto c = spawn_process(DEMO_SERVER_PATH, {"--port=0"});
  auto port = port_in(read_until(c.out, "\n", 10s));
  REQUIRE(port != 0);
  http_get(port, "/hello");
  auto log = read_until(c.out, "\n", 5s);
  CHECK(log.find("\"GET /hello HTTP/1.1\" 200 2 ") != std::string::npos);
  c.signal(SIGTERM);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("a streamed response's line names its request, though the stream let the request go",
         "[process]") {
  auto c = spawn_process(DEMO_SERVER_PATH, {"--port=0"});
  auto port = port_in(read_until(c.out, "\n", 10s));
  REQUIRE(port != 0);
  // Paced: its handler returns before the first chunk, so the writer lets the request go
  // once the head is out (request_scope::release_spent_fields), long before the line.
  auto r = http_get(port, "/stream?n=3&size=10&interval_ms=30");
  CHECK(r.body.size() == 30);
  auto log = read_until(c.out, "\n", 5s);
  CHECK(log.rfind("127.0.0.1:", 0) == 0);
  CHECK(log.find("\"GET /stream?n=3&size=10&interval_ms=30 HTTP/1.1\" 200 30 ")
        != std::string::npos);
  c.signal(SIGTERM);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("a connection over the limit is refused and logged", "[process]") {
  auto c = spawn_process(DEMO_SERVER_PATH, {"--port=0", "--max-connections=1"});
  auto port = port_in(read_until(c.out, "\n", 10s));
  REQUIRE(port != 0);
  http_client first{port};
  CHECK(first.get("/hello").body == "ok");
  http_client second{port};
  second.send_get("/hello");
  CHECK(second.read_response().status == 503);
  auto log = read_until(c.out, "over --max-connections", 5s);
  CHECK(log.find("\"-\" 503 0 0.000ms over --max-connections=1") != std::string::npos);
  c.signal(SIGTERM);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("--help lists the options and exits 0 and a bad option exits non-zero", "[process]") {
  GIVEN("--help") {
    auto c = spawn_process(DEMO_SERVER_PATH, {"--help"});
    auto text = read_until(c.out, "--request-timeout-ms", 10s)
      + read_until(c.err, "--request-timeout-ms", 1s);
    CHECK(text.find("--port") != std::string::npos);
    CHECK(text.find("--request-timeout-ms") != std::string::npos);
    CHECK(c.wait_exit(10s) == 0);
  }
  GIVEN("a port that is not a number") {
    auto c = spawn_process(DEMO_SERVER_PATH, {"--port=abc"});
    auto err = read_until(c.err, "\n", 10s);
    CHECK(c.wait_exit(10s) == 2);
    CHECK(err.find("invalid options") != std::string::npos);
  }
  GIVEN("a worker node that is not HOST:PORT") {
    auto c = spawn_process(DEMO_SERVER_PATH, {"--worker-nodes=nohost"});
    auto err = read_until(c.err, "\n", 10s);
    CHECK(c.wait_exit(10s) == 2);
    CHECK(err.find("'nohost' is not HOST:PORT") != std::string::npos);
  }
}
