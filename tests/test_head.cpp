// HEAD runs GET's handler and answers with GET's status and head, never with a body: output
// is counted and dropped (so a HEAD of a 4 GiB stream holds no memory), and a streamed
// response ends as soon as its head is out, which stops its producers.
#include "support/http_client.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

using namespace testing;
using namespace std::chrono_literals;

namespace {

/// The shared routes these scenarios exercise (tests/support/test_routes.hpp).
fastactor::router test_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  return r;
}

fastactor::router head_routes() {
  auto r = test_routes();
  r.get("/buffered", [](fastactor::context& ctx) {
    ctx.buffer_response();
    for (int i = 0; i < 4; ++i)
      ctx.spawn([](caf::event_based_actor* self, fastactor::response_handle out) {
        out.write(self, std::string(1000, 'x'));
      });
  });
  return r;
}

}  // namespace

SCENARIO("HEAD answers with what GET would, without a body", "[head]") {
  test_server srv{head_routes()};
  http_client c{srv.port()};
  WHEN("the response is complete in the handler") {
    c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response(true);
    THEN("200 with GET's Content-Length, no body, and the connection goes on") {
      CHECK(r.status == 200);
      CHECK(r.header("content-length") == "2");
      CHECK(c.read_available(200ms).empty());
      CHECK(c.get("/hello").body == "ok");
    }
  }
  WHEN("the response is buffered until its workers are done") {
    c.send("HEAD /buffered HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response(true);
    THEN("Content-Length counts what the workers wrote") {
      CHECK(r.status == 200);
      CHECK(r.header("content-length") == "4000");
      CHECK(c.read_available(200ms).empty());
    }
  }
  WHEN("the response streams 4 GiB") {
    auto start = clock_type::now();
    c.send("HEAD /stream?n=4096&size=1048576 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response(true);
    THEN("the head GET would start with, at once; the producer is stopped") {
      CHECK(r.status == 200);
      CHECK(r.header("transfer-encoding") == "chunked");
      CHECK(ms_between(start, clock_type::now()) < 2000);
      CHECK(srv.idle());
      CHECK(srv.stats().queued_response_bytes == 0);
      CHECK(c.get("/hello").body == "ok");
    }
  }
  WHEN("GET would be refused") {
    c.send("HEAD /stream?n=oops HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response(true);
    THEN("HEAD gets the same status") {
      CHECK(r.status == 400);
      CHECK(c.read_available(200ms).empty());
    }
  }
}
