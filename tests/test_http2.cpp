// HTTP/2 (issue 13) against a real server, with a real HTTP/2 client (support/h2_client.hpp,
// nghttp2's client session) over plain TCP with prior knowledge and over TLS with ALPN h2:
// every kind of response the library makes (whole, streamed, SSE, NDJSON, trailers, errors
// before and after the first byte), many streams on one connection, a client that cancels one
// of them, a response cut off on its own stream, HTTP/2 flow control driving the producers'
// credit, the drain and idle GOAWAYs, and --http2=0. The attacks are in test_http2_attacks.cpp.
#include "support/eventually.hpp"
#include "support/h2_client.hpp"
#include "support/http_client.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

fastactor::router h2_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  r.get("/stream/sse", shared_routes::stream_sse);
  r.get("/stream/ndjson", shared_routes::stream_ndjson);
  r.get("/stream/concurrent", shared_routes::stream_concurrent);
  r.get("/concurrent/basic", shared_routes::concurrent_basic);
  r.get("/parallel/execute", shared_routes::parallel_execute);
  r.post("/echo", [](fastactor::context& ctx) { ctx.write(ctx.req().body); });
  r.get("/version", [](fastactor::context& ctx) {
    ctx.write(std::to_string(ctx.req().version) + " "
              + std::string{ctx.req().header("host").value_or("-")});
  });
  r.get("/typed", [](fastactor::context& ctx) {
    ctx.set_content_type("text/html");
    ctx.set_header("X-Kind", "page");
    ctx.write("<p>");
  });
  r.get("/typed/fails", [](fastactor::context& ctx) {
    ctx.set_content_type("text/html");
    ctx.set_header("X-Kind", "page");
    ctx.fail("no page today", fastactor::status::service_unavailable);
  });
  r.get("/untyped", [](fastactor::context& ctx) { ctx.set_header("X-Kind", "plain"); });
  r.get("/fails", [](fastactor::context& ctx) {
    ctx.spawn([](caf::event_based_actor* self, fastactor::response_handle out) {
      out.write(self, "one\n");
      out.fail(self, "disk gone", fastactor::status::bad_gateway, "store");
      out.write(self, "two\n");
    });
  });
  return r;
}

/// The expected body of /stream?n=&size=: chunk i is `size` times 'a' + i % 26.
std::string stream_body(int n, int size) {
  std::string body;
  for (int i = 0; i < n; ++i)
    body.append(static_cast<std::size_t>(size), static_cast<char>('a' + i % 26));
  return body;
}

/// One GET over HTTP/1.1 on a fresh connection: other clients are still served.
bool http1_bystander(std::uint16_t port, transport how = transport::plain()) {
  try {
    return http_get(port, how, "/hello").body == "ok";
  } catch (const std::exception& e) {
    WARN("bystander: " << e.what());
    return false;
  }
}

/// Runs the client until every stream in `ids` is done.
bool all_done(h2_client& c, const std::vector<std::int32_t>& ids, std::chrono::milliseconds t) {
  return c.run_until(
    [&] {
      for (auto id : ids)
        if (!c.response(id).done())
          return false;
      return true;
    },
    t);
}

/// What every transport must show: the library's kinds of response over HTTP/2.
void check_every_kind_of_response(test_server& srv, transport how) {
  h2_client c{srv.port(), how};
  REQUIRE(c.connected());
  auto hello = c.submit("GET", "/hello");
  auto head = c.submit("HEAD", "/hello");
  auto stream = c.submit("GET", "/stream?n=40&size=1000");
  auto sse = c.submit("GET", "/stream/sse?count=6&interval_ms=10");
  auto ndjson = c.submit("GET", "/stream/ndjson?items=4&workers=2");
  auto basic = c.submit("GET", "/concurrent/basic");
  auto parallel = c.submit("GET", "/parallel/execute");
  auto fails = c.submit("GET", "/fails");
  auto missing = c.submit("GET", "/nowhere");
  auto echo = c.submit("POST", "/echo", {}, std::string(100'000, 'x'));
  auto version = c.submit("GET", "/version");
  REQUIRE(all_done(
    c, {hello, head, stream, sse, ndjson, basic, parallel, fails, missing, echo, version}, 10s));

  CHECK(c.response(hello).status == 200);
  CHECK(c.response(hello).body == "ok");
  CHECK(c.response(hello).header("content-length") == "2");
  CHECK(c.response(hello).header("server") == "fastactor");
  CHECK_FALSE(c.response(hello).header("date").empty());

  CHECK(c.response(head).status == 200);
  CHECK(c.response(head).body.empty());
  CHECK(c.response(head).header("content-length") == "2");

  CHECK(c.response(stream).status == 200);
  CHECK(c.response(stream).body == stream_body(40, 1000));
  CHECK(c.response(stream).trailers.at("fastactor-errors") == "[]");

  CHECK(c.response(sse).header("content-type") == "text/event-stream");
  CHECK_THAT(c.response(sse).body, Contains("event: tick"));
  CHECK_THAT(c.response(ndjson).body, Contains("\"summary\""));
  CHECK(c.response(basic).body.find("Worker 4 response\n") != std::string::npos);
  CHECK(c.response(parallel).body == "Task 1 completed\nTask 2 completed\n");

  // An error after the first byte travels in the trailer, as over HTTP/1.1.
  CHECK(c.response(fails).status == 200);
  CHECK(c.response(fails).ended);
  CHECK_THAT(c.response(fails).trailers.at("fastactor-errors"), Contains("disk gone"));

  CHECK(c.response(missing).status == 404);
  CHECK(c.response(missing).header("content-type") == "application/json");
  CHECK(c.response(echo).body == std::string(100'000, 'x'));
  CHECK(c.response(version).body == "20 127.0.0.1:" + std::to_string(srv.port()));
  for (auto id : {hello, stream, sse, ndjson, basic, parallel, fails, missing, echo})
    CHECK(c.response(id).ended);
  CHECK(srv.idle());
  CHECK(srv.stats().live_writers == 1);  // one writer for the whole connection
}

}  // namespace

SCENARIO("HTTP/2 with prior knowledge: every kind of response on streams of one connection",
         "[http2]") {
  test_server srv{h2_routes()};
  check_every_kind_of_response(srv, transport::plain());
  CHECK(srv.stats().http2.connections_total == 1);
  CHECK(srv.stats().http2.streams_total == 11);
  CHECK(srv.stats().http2.client_resets_total == 0);
}

SCENARIO("HTTP/2 over TLS: ALPN chooses h2 and every kind of response is served", "[tls]") {
  test_server srv{h2_routes(), test_server::tls_config()};
  {
    h2_client c{srv.port(), transport::over_tls()};
    REQUIRE(c.tls());
    CHECK(c.tls()->alpn() == "h2");
  }
  check_every_kind_of_response(srv, transport::over_tls());
  GIVEN("a client that offers http/1.1 only") {
    THEN("it still gets HTTP/1.1") {
      http_client c{srv.port(), transport::over_tls()};
      CHECK(c.tls()->alpn() == "http/1.1");
      CHECK(c.get("/hello").body == "ok");
    }
  }
}

// The rule is response_head's for_each_head_field, HTTP/1.1's and HTTP/2's alike; a repeated
// field would arrive here joined with ", " (h2_client's record), so equality means one.
SCENARIO("HTTP/2 responses carry one Content-Type, by the same rule as HTTP/1.1", "[http2]") {
  test_server srv{h2_routes()};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  auto typed = c.submit("GET", "/typed");
  auto report = c.submit("GET", "/typed/fails");
  auto untyped = c.submit("GET", "/untyped");
  REQUIRE(all_done(c, {typed, report, untyped}, 5s));
  THEN("the handler's type, else the error report's JSON over the handler's, else text/plain; "
       "the handler's other fields kept, every name lower-case") {
    CHECK(c.response(typed).header("content-type") == "text/html");
    CHECK(c.response(typed).header("x-kind") == "page");
    CHECK(c.response(report).status == 503);
    CHECK(c.response(report).header("content-type") == "application/json");
    CHECK(c.response(report).header("x-kind") == "page");
    CHECK_THAT(c.response(report).body, Contains("no page today"));
    CHECK(c.response(untyped).header("content-type") == "text/plain; charset=utf-8");
    CHECK(c.response(untyped).header("x-kind") == "plain");
    CHECK(c.errors().empty());  // nghttp2 refuses upper-case names as malformed
  }
}

SCENARIO("Twenty event streams at once on one HTTP/2 connection all receive events", "[http2]") {
  test_server srv{h2_routes()};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(c.submit("GET", "/stream/sse?count=60&interval_ms=50"));
  THEN("every stream has an event within 2 s, while all of them are still open") {
    CHECK(c.run_until(
      [&] {
        for (auto id : ids)
          if (c.response(id).body.find("event: tick") == std::string::npos)
            return false;
        return true;
      },
      2s));
    CHECK(srv.stats().active_streams == 20);
    for (auto id : ids)
      CHECK_FALSE(c.response(id).done());
  }
}

SCENARIO("A client that cancels one of several HTTP/2 streams stops only that request", "[http2]") {
  test_server srv{h2_routes()};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  // Three workers each, writing for about a second.
  auto first = c.submit("GET", "/stream/concurrent");
  auto cancelled = c.submit("GET", "/stream/concurrent");
  auto third = c.submit("GET", "/stream/concurrent");
  REQUIRE(c.run_until([&] { return !c.response(cancelled).body.empty(); }, 5s));
  REQUIRE(srv.stats().live_workers == 9);
  WHEN("the client resets the second stream") {
    c.reset_stream(cancelled);
    THEN("its three workers stop, and the other two streams end complete") {
      CHECK(c.run_until([&] { return srv.stats().live_workers <= 6; }, 3s));
      CHECK(srv.stats().http2.client_resets_total == 1);
      REQUIRE(all_done(c, {first, third}, 10s));
      CHECK(c.response(first).ended);
      CHECK(c.response(third).ended);
      CHECK(c.response(first).body == c.response(third).body);
      CHECK(c.response(first).trailers.at("fastactor-errors") == "[]");
      CHECK(srv.idle());
      CHECK(srv.stats().responses_by_status[499] == 1);  // the cancelled one, in the log too
    }
  }
}

SCENARIO("A response cut off after its first byte resets its own stream only", "[http2]") {
  auto cfg = test_server::default_config();
  cfg.request_timeout_ms = 400;
  test_server srv{h2_routes(), cfg};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  WHEN("a stream passes the request deadline while another one is served") {
    auto slow = c.submit("GET", "/stream?n=20&size=16&interval_ms=100");  // 2 s
    auto quick = c.submit("GET", "/stream?n=3&size=1000");
    REQUIRE(c.wait_for(slow, 5s));
    THEN("the late stream gets RST_STREAM(INTERNAL_ERROR), the connection goes on") {
      REQUIRE(c.response(slow).reset_by_server);
      CHECK(*c.response(slow).reset_by_server == NGHTTP2_INTERNAL_ERROR);
      CHECK_FALSE(c.response(slow).body.empty());  // it had begun
      CHECK(c.wait_for(quick, 5s));
      CHECK(c.response(quick).body == stream_body(3, 1000));
      auto after = c.submit("GET", "/hello");
      CHECK(c.wait_for(after, 5s));
      CHECK(c.response(after).body == "ok");
      CHECK_FALSE(c.closed());
      CHECK(srv.stats().http2.server_resets_total == 1);
      CHECK(srv.stats().deadlines_total == 1);
      CHECK(srv.idle());
    }
  }
}

SCENARIO("HTTP/2 flow control holds the producers as a slow socket does", "[http2]") {
  test_server srv{h2_routes()};
  h2_options o;
  o.initial_window = 0;  // the server may send no DATA until the client opens the stream
  h2_client c{srv.port(), transport::plain(), 10s, o};
  REQUIRE(c.connected());
  constexpr int chunks = 256, size = 16 * 1024;  // 4 MiB, far over the 256 KiB credit
  auto id =
    c.submit("GET", "/stream?n=" + std::to_string(chunks) + "&size=" + std::to_string(size));
  WHEN("the stream's window stays closed") {
    c.run_until([&] { return srv.stats().backpressure_waits_total > 0; }, 3s);
    c.run_for(300ms);
    THEN("its producer waits, and the server holds no more than its credit for it") {
      CHECK(srv.stats().backpressure_waits_total > 0);
      CHECK(c.response(id).body.empty());
      CHECK(c.response(id).status == 200);  // the head is not flow-controlled
      CHECK(srv.stats().queued_response_bytes <= 2 * 256 * 1024 + size);
    }
    AND_WHEN("the client opens it") {
      c.window_update(id, 1 << 30);
      THEN("the whole body arrives, intact") {
        REQUIRE(c.wait_for(id, 10s));
        CHECK(c.response(id).body == stream_body(chunks, size));
        CHECK(srv.idle());
      }
    }
  }
}

SCENARIO("A stopping server says GOAWAY on HTTP/2 and lets open streams finish", "[http2]") {
  test_server srv{h2_routes()};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  auto id = c.submit("GET", "/stream/concurrent");  // about a second
  REQUIRE(c.run_until([&] { return !c.response(id).body.empty(); }, 5s));
  auto stopped = std::async(std::launch::async, [&] { srv.server().stop(); });
  THEN("GOAWAY(NO_ERROR) comes at once, the stream ends complete, then the connection closes") {
    CHECK(c.run_until([&] { return c.goaway_error().has_value(); }, 2s));
    CHECK(c.goaway_error() == std::optional<std::uint32_t>{NGHTTP2_NO_ERROR});
    CHECK(c.wait_for(id, 5s));
    CHECK(c.response(id).ended);
    CHECK(c.response(id).trailers.at("fastactor-errors") == "[]");
    CHECK(c.run_until([&] { return c.closed(); }, 5s));
    CHECK(stopped.wait_for(10s) == std::future_status::ready);
  }
}

SCENARIO("A server that stops just as its HTTP/2 clients leave closes their connections at once",
         "[http2]") {
  // The writer asks for the close (GOAWAY first) and quits; the client's EOF then arrives before
  // the GOAWAY is written: the session alone is left to close.
  test_server srv{h2_routes()};
  {
    std::vector<std::unique_ptr<h2_client>> clients;
    for (int i = 0; i < 4; ++i) {
      clients.push_back(std::make_unique<h2_client>(srv.port(), transport::plain()));
      auto id = clients.back()->submit("GET", "/hello");
      REQUIRE(clients.back()->wait_for(id, 5s));
    }
  }
  THEN("stop() does not wait for connections nobody closes") {
    auto started = clock_type::now();
    srv.server().stop();
    CHECK(ms_between(started, clock_type::now()) < 3000);  // 5 s and more when one was left open
    CHECK(srv.stats().live_connections == 0);
  }
}

SCENARIO("An idle HTTP/2 connection is closed with GOAWAY after the idle timeout", "[http2]") {
  auto cfg = test_server::default_config();
  cfg.idle_timeout_ms = 300;
  test_server srv{h2_routes(), cfg};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  auto id = c.submit("GET", "/hello");
  REQUIRE(c.wait_for(id, 5s));
  THEN("GOAWAY(NO_ERROR), then the close") {
    CHECK(c.run_until([&] { return c.closed(); }, 5s));
    CHECK(c.goaway_error() == std::optional<std::uint32_t>{NGHTTP2_NO_ERROR});
    CHECK(eventually([&] { return srv.stats().live_connections == 0; }));
  }
}

SCENARIO("Bad requests on an HTTP/2 stream get their 4xx and cost nothing else", "[http2]") {
  auto cfg = test_server::default_config();
  cfg.max_body_bytes = 1000;
  cfg.max_header_bytes = 2048;
  test_server srv{h2_routes(), cfg};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  auto big_body = c.submit("POST", "/echo", {}, std::string(5000, 'x'));
  auto big_header = c.submit(
    "GET", "/hello", {{"x-big", std::string(1500, 'y')}, {"x-bigger", std::string(1500, 'z')}});
  auto bad_target = c.submit("GET", "/%zz");
  REQUIRE(all_done(c, {big_body, bad_target}, 5s));
  THEN("413 for the body, 431 (or a refused header block) for the fields, 400 for the target") {
    CHECK(c.response(big_body).status == 413);
    CHECK_THAT(c.response(big_body).body, Contains("1000"));
    c.wait_for(big_header, 5s);
    auto& h = c.response(big_header);
    CHECK((h.status == 431 || h.reset.has_value() || h.closed));
    CHECK(c.response(bad_target).status == 400);
    AND_WHEN("several streams send bodies at once that are each small enough") {
      auto one = c.submit_open("POST", "/echo");
      auto two = c.submit_open("POST", "/echo");
      c.send_body(one, std::string(600, 'a'));
      c.run_for(100ms);
      c.send_body(two, std::string(600, 'b'));
      REQUIRE(c.wait_for(two, 5s));
      THEN("together they may hold no more than --max-body-bytes: the one past it gets 413") {
        CHECK(c.response(two).status == 413);
        CHECK_THAT(c.response(two).body, Contains("together"));
        c.send_body(one, "", true);
        REQUIRE(c.wait_for(one, 5s));
        CHECK(c.response(one).body == std::string(600, 'a'));
      }
    }
    auto after = c.submit("GET", "/hello");
    CHECK(c.wait_for(after, 5s));
    CHECK(c.response(after).body == "ok");
    CHECK(http1_bystander(srv.port()));
    CHECK(srv.idle());
  }
}

SCENARIO("With --http2=0 the server speaks HTTP/1.1 only", "[http2]") {
  auto cfg = test_server::default_config();
  cfg.http2 = 0;
  test_server srv{h2_routes(), cfg};
  WHEN("a client begins with the HTTP/2 preface") {
    h2_options o;
    o.wait_connected = false;
    h2_client c{srv.port(), transport::plain(), 3s, o};
    c.run_until([&] { return c.closed(); }, 3s);
    THEN("no HTTP/2 session starts, and HTTP/1.1 clients are served") {
      CHECK_FALSE(c.connected());
      CHECK(srv.stats().http2.connections_total == 0);
      CHECK(http1_bystander(srv.port()));
    }
  }
}

SCENARIO("A stream whose client never opens its window is reset at the send deadline", "[http2]") {
  auto cfg = test_server::default_config();
  cfg.send_timeout_ms = 500;
  test_server srv{h2_routes(), cfg};
  h2_options o;
  o.initial_window = 0;  // no stream may get DATA until the client opens it
  h2_client c{srv.port(), transport::plain(), 10s, o};
  REQUIRE(c.connected());
  auto stalled = c.submit("GET", "/stream?n=64&size=16384");
  WHEN("its window stays closed past --send-timeout-ms") {
    REQUIRE(c.wait_for(stalled, 5s));
    THEN("that stream is reset and its producer stopped; the connection serves on") {
      REQUIRE(c.response(stalled).reset_by_server);
      CHECK(*c.response(stalled).reset_by_server == NGHTTP2_INTERNAL_ERROR);
      CHECK(srv.stats().send_timeouts_total == 1);
      CHECK(srv.idle());  // the worker is gone
      auto after = c.submit("GET", "/hello");
      c.window_update(after, 1000);
      CHECK(c.wait_for(after, 5s));
      CHECK(c.response(after).body == "ok");
      CHECK_FALSE(c.closed());
    }
  }
}

SCENARIO("A stream whose last write waits on a closed window is reset at the send deadline",
         "[http2]") {
  auto cfg = test_server::default_config();
  cfg.send_timeout_ms = 500;
  cfg.request_timeout_ms = 0;
  test_server srv{h2_routes(), cfg};
  h2_options o;
  o.auto_consume = false;  // the client never opens the window again
  h2_client c{srv.port(), transport::plain(), 10s, o};
  REQUIRE(c.connected());
  // The body fills the stream's window exactly: its end (END_STREAM with the trailer) then
  // waits for a window that never opens, with no body byte left to send.
  auto id = c.submit("GET", "/stream?n=1&size=65535");
  REQUIRE(c.wait_for(id, 5s));
  THEN("it is reset, not held for ever") {
    CHECK(c.response(id).body.size() == 65535);
    REQUIRE(c.response(id).reset_by_server);
    CHECK(srv.stats().send_timeouts_total == 1);
    CHECK(srv.idle());
  }
}

SCENARIO("A stream whose request body never ends gets 408 at the body deadline", "[http2]") {
  auto cfg = test_server::default_config();
  cfg.body_timeout_ms = 500;
  test_server srv{h2_routes(), cfg};
  h2_client c{srv.port(), transport::plain()};
  REQUIRE(c.connected());
  // Events for 5 s: the connection is busy throughout, so no idle timeout ends the stuck one.
  auto busy = c.submit("GET", "/stream/sse?count=100&interval_ms=50");
  WHEN("another stream sends HEADERS and part of a body, then nothing") {
    auto start = clock_type::now();
    auto stuck = c.submit_open("POST", "/echo");
    c.send_body(stuck, "the first part");
    REQUIRE(c.wait_for(stuck, 5s));
    auto took_ms = ms_between(start, clock_type::now());
    THEN("it is answered 408 after --body-timeout-ms, then told to stop sending; the busy "
         "stream and the connection go on") {
      INFO("408 after " << took_ms << " ms");
      CHECK(c.response(stuck).status == 408);
      CHECK_THAT(c.response(stuck).body, Contains("within 500 ms"));
      CHECK(took_ms >= 450);
      CHECK(took_ms < 3000);
      CHECK(srv.stats().http2.read_timeouts_total == 1);
      // (counted as the response's scope ends, which may be just after the client has it)
      CHECK(eventually([&] { return srv.stats().responses_by_status[408] == 1; }));
      // RST_STREAM(NO_ERROR) after the answer (RFC 9113 8.1): its slot is free.
      CHECK(c.run_until([&] { return c.response(stuck).reset_by_server.has_value(); }, 2s));
      CHECK(c.response(stuck).reset_by_server == std::optional<std::uint32_t>{NGHTTP2_NO_ERROR});
      CHECK(srv.stats().http2.server_resets_total == 0);  // nothing was cut off
      CHECK_FALSE(c.response(busy).done());
      auto after = c.submit("GET", "/hello");
      CHECK(c.wait_for(after, 5s));
      CHECK(c.response(after).body == "ok");
      CHECK(eventually([&] { return srv.stats().active_streams == 1; }));  // the busy one
      CHECK_FALSE(c.closed());
    }
  }
}

SCENARIO("A client that sends part of the HTTP/2 preface and leaves is closed", "[http2]") {
  test_server srv{h2_routes()};
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(srv.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, "PRI * HTTP", 10, 0) == 10);
  ::shutdown(fd, SHUT_WR);
  THEN("the server closes the connection at once (it does not wait for the rest)") {
    pollfd p{fd, POLLIN, 0};
    std::string got;
    char buf[512];
    for (auto until = std::chrono::steady_clock::now() + 3s;
         std::chrono::steady_clock::now() < until;) {
      if (::poll(&p, 1, 100) <= 0)
        continue;
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    CHECK(eventually([&] { return srv.stats().live_connections == 0; }, 3s));
    CHECK(srv.stats().http2.connections_total == 0);
    ::close(fd);
  }
}
