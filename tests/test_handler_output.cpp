// What a handler puts into the response head is checked: header names are tokens, values
// carry no CR, LF or NUL (a value echoed from a query would otherwise split the response),
// framing fields belong to the writer, and a status is final (200-599). 204 and 304 end
// with their head. A refused value fails the response with 500 and says why.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

using namespace testing;
using namespace std::chrono_literals;

namespace {

fastactor::router output_routes() {
  fastactor::router r;
  r.get("/hello", [](fastactor::context& ctx) { ctx.write("ok"); });
  r.get("/echo-header", [](fastactor::context& ctx) {
    // The classic mistake: a decoded query value copied into a header.
    ctx.set_header("X-Echo", std::string{ctx.req().query_param("v").value_or("")});
    ctx.write("body");
  });
  r.get("/framing", [](fastactor::context& ctx) {
    ctx.set_header("Content-Length", "5");
    ctx.write("much longer than five");
  });
  r.get("/bad-name", [](fastactor::context& ctx) {
    ctx.set_header("X Bad", "1");
    ctx.write("x");
  });
  r.get("/status/:code", [](fastactor::context& ctx) {
    auto code = std::stoi(std::string{*ctx.req().path_param("code")});
    ctx.set_status(fastactor::to_status(static_cast<std::uint16_t>(code)));
    ctx.write("a body that a 204 or 304 must not carry");
  });
  r.get("/streamed-204", [](fastactor::context& ctx) {
    ctx.set_status(fastactor::status::no_content);
    ctx.spawn([](caf::event_based_actor* self, fastactor::response_handle out) {
      out.write(self, "dropped");
    });
  });
  r.get("/fail-200", [](fastactor::context& ctx) {
    ctx.fail("odd", fastactor::status::ok);  // an error with a success status
  });
  return r;
}

}  // namespace

SCENARIO("header values cannot split the response", "[handler-output]") {
  test_server srv{output_routes()};
  http_client c{srv.port()};
  WHEN("a handler echoes a decoded CR LF into a header") {
    auto r = c.get("/echo-header?v=a%0D%0ASet-Cookie:%20evil=1");
    THEN("500 naming the header; no injected field") {
      CHECK(r.status == 500);
      CHECK_FALSE(r.has_header("set-cookie"));
      CHECK(r.body.find("X-Echo") != std::string::npos);
      CHECK(r.body.find("CR, LF or NUL") != std::string::npos);
    }
  }
  WHEN("a handler sets a framing header") {
    auto r = c.get("/framing");
    THEN("500: the writer frames the body; the connection goes on") {
      CHECK(r.status == 500);
      CHECK(r.body.find("Content-Length") != std::string::npos);
      CHECK(c.get("/hello").body == "ok");
    }
  }
  WHEN("a header name is not a token") {
    auto r = c.get("/bad-name");
    THEN("500 saying so") {
      CHECK(r.status == 500);
      CHECK(r.body.find("not a token") != std::string::npos);
    }
  }
}

SCENARIO("a handler's status is a final status, and 204 and 304 have no body", "[handler-output]") {
  test_server srv{output_routes()};
  http_client c{srv.port()};
  for (auto code : {"0", "101", "199", "600", "1000"}) {
    WHEN(std::string{"a handler sets status "} + code) {
      auto r = c.get(std::string{"/status/"} + code);
      THEN("500 saying the status is not allowed") {
        CHECK(r.status == 500);
        CHECK(r.body.find("not a final status") != std::string::npos);
      }
    }
  }
  for (auto code : {"204", "304"}) {
    WHEN(std::string{"a handler answers "} + code + " and writes a body") {
      c.send_get(std::string{"/status/"} + code);
      auto r = c.read_response(true);  // no body may follow
      THEN("the head alone, without Content-Length; the next request is read as one") {
        CHECK(r.status == std::stoi(code));
        CHECK_FALSE(r.has_header("content-length"));
        CHECK_FALSE(r.has_header("transfer-encoding"));
        CHECK(c.get("/hello").body == "ok");
      }
    }
  }
  WHEN("a 204 is set before a worker streams") {
    c.send_get("/streamed-204");
    auto r = c.read_response(true);
    THEN("the head alone, and the connection goes on") {
      CHECK(r.status == 204);
      CHECK_FALSE(r.has_header("transfer-encoding"));
      CHECK(c.get("/hello").body == "ok");
    }
  }
  WHEN("an error comes with a success status") {
    auto r = c.get("/fail-200");
    THEN("it is reported as 500") {
      CHECK(r.status == 500);
      CHECK(r.body.find("\"status\":500") != std::string::npos);
    }
  }
}

SCENARIO("a server name that would split a response head is refused at construction",
         "[handler-output]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  fastactor::server_config scfg;
  scfg.port = 0;
  scfg.server_name = "fastactor\r\nSet-Cookie: x=1";
  CHECK_THROWS_AS(fastactor::server(sys, scfg, fastactor::router{}), std::invalid_argument);
  scfg.server_name = "my-server/1.0";
  CHECK_NOTHROW(fastactor::server(sys, scfg, fastactor::router{}));
}
