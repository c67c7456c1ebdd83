// SSE and NDJSON streams over real sockets: headers, numbering, resumption with
// Last-Event-ID, in-band errors, heartbeats, and the shared /stream/sse and /stream/ndjson.
#include "support/http_client.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <set>

using namespace testing;
using namespace std::chrono_literals;
using fastactor::context;
using fastactor::response_handle;
using fastactor::sse_event;
using json = nlohmann::json;

namespace {

/// The shared routes these scenarios exercise (tests/support/test_routes.hpp).
fastactor::router test_routes() {
  fastactor::router r;
  r.get("/stream/sse", shared_routes::stream_sse);
  r.get("/stream/ndjson", shared_routes::stream_ndjson);
  return r;
}

struct wire_event {
  std::string type, id, data;
};

/// Splits an SSE body into events (only what these tests need: one line per field).
std::vector<wire_event> events_of(const std::string& body) {
  std::vector<wire_event> out;
  wire_event ev;
  bool any = false;
  std::size_t start = 0;
  for (auto nl = body.find('\n'); nl != std::string::npos; nl = body.find('\n', start)) {
    auto line = body.substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) {
      if (any)
        out.push_back(ev);
      ev = {};
      any = false;
    } else if (line.rfind("event: ", 0) == 0) {
      ev.type = line.substr(7);
    } else if (line.rfind("id: ", 0) == 0) {
      ev.id = line.substr(4);
    } else if (line.rfind("data: ", 0) == 0) {
      ev.data += line.substr(6);
      any = true;
    }
  }
  return out;
}

std::vector<json> ndjson_of(const std::string& body) {
  std::vector<json> out;
  std::size_t start = 0;
  for (auto nl = body.find('\n'); nl != std::string::npos; nl = body.find('\n', start)) {
    out.push_back(json::parse(body.substr(start, nl - start)));
    start = nl + 1;
  }
  return out;
}

}  // namespace

SCENARIO("GET /stream/sse: three workers, strictly increasing ids, a clean end", "[streams][sse]") {
  test_server srv{test_routes()};
  auto r = http_get(srv.port(), "/stream/sse?count=9&interval_ms=30");
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/event-stream");
  CHECK(r.header("cache-control") == "no-cache");
  CHECK(r.header("x-accel-buffering") == "no");
  CHECK(r.complete);
  auto events = events_of(r.body);
  REQUIRE(events.size() == 9);
  std::set<int> workers;
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].type == "tick");
    CHECK(events[i].id == std::to_string(i + 1));
    workers.insert(json::parse(events[i].data)["worker"].get<int>());
  }
  CHECK(workers == std::set<int>{1, 2, 3});
  CHECK(r.body.find("retry: 1000\n") != std::string::npos);
}

SCENARIO("a reconnecting client resumes after its Last-Event-ID", "[streams][sse]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  auto r = c.get("/stream/sse?count=3&interval_ms=20", "Last-Event-ID: 41\r\n");
  auto events = events_of(r.body);
  REQUIRE(events.size() == 3);
  CHECK(events[0].id == "42");
  CHECK(events[2].id == "44");
  AND_THEN("a Last-Event-ID that is no number starts from 1") {
    auto again = c.get("/stream/sse?count=1&interval_ms=20", "Last-Event-ID: abc\r\n");
    CHECK(events_of(again.body).at(0).id == "1");
  }
}

SCENARIO("the first SSE bytes leave before any event exists", "[streams][sse]") {
  // The handler queues nothing; its only producer sends the first event 2.5 s later. The
  // head must not wait for it: a browser's EventSource only reports "open" once it has it.
  constexpr auto first_event_after = 2500ms;
  fastactor::router r;
  r.get("/late-sse", [first_event_after](context& ctx) {
    ctx.begin_sse();
    ctx.spawn(
      [first_event_after](caf::event_based_actor* self, response_handle out) -> caf::behavior {
        self->delayed_send(self, first_event_after, caf::atom("tick"));
        return {
          [=](caf::atom_value) {
            out.send_event(self, sse_event{"tick", "late", {}, -1});
            self->quit();
          },
        };
      });
  });
  test_server srv{std::move(r)};
  http_client c{srv.port()};
  auto start = clock_type::now();
  c.send_get("/late-sse");
  std::string got;
  std::optional<clock_type::time_point> head_at;
  while (!head_at && clock_type::now() - start < 5s) {
    got += c.read_available(10ms);
    if (got.find("\r\n\r\n") != std::string::npos)
      head_at = clock_type::now();
  }
  THEN("the head arrives well before the first event could, and holds no event") {
    REQUIRE(head_at);
    CHECK(ms_between(start, *head_at) < 1000);
    CHECK(got.find("HTTP/1.1 200 OK") == 0);
    CHECK(got.find("text/event-stream") != std::string::npos);
    CHECK(got.find("data:") == std::string::npos);
    AND_THEN("the event itself comes when its producer sends it") {
      std::string rest;
      while (rest.find("data: late") == std::string::npos && clock_type::now() - start < 6s)
        rest += c.read_available(10ms);
      auto event_at = clock_type::now();
      CHECK(rest.find("data: late") != std::string::npos);
      CHECK(ms_between(start, event_at) >= 2000);
    }
  }
}

SCENARIO("worker errors arrive in-band in an SSE stream, and in the trailer", "[streams][sse]") {
  fastactor::router r;
  r.get("/events", [](context& ctx) {
    ctx.begin_sse();
    ctx.spawn([](caf::event_based_actor* self, response_handle out) {
      out.send_event(self, sse_event{"tick", "one", {}, -1});
      out.fail(self, "sensor offline", fastactor::status::bad_gateway, "sensor");
      out.send_event(self, sse_event{"tick", "two", {}, -1});
    });
  });
  test_server srv{std::move(r)};
  auto resp = http_get(srv.port(), "/events");
  THEN("the status stays 200 and the error is an event of its own, in order") {
    CHECK(resp.status == 200);
    auto events = events_of(resp.body);
    REQUIRE(events.size() == 3);
    CHECK(events[0].data == "one");
    CHECK(events[1].type == "error");
    CHECK(json::parse(events[1].data)["message"] == "sensor offline");
    CHECK(events[1].id == "2");
    CHECK(events[2].data == "two");
    CHECK(resp.trailers.at("fastactor-errors").find("sensor offline") != std::string::npos);
  }
}

SCENARIO("a handler's own error still makes an SSE request an error response", "[streams][sse]") {
  test_server srv{test_routes()};
  auto r = http_get(srv.port(), "/stream/sse?count=-5");
  CHECK(r.status == 400);
  CHECK(r.header("content-type") == "application/json");
}

SCENARIO("an idle SSE stream gets heartbeat comments", "[streams][sse]") {
  auto cfg = test_server::default_config();
  cfg.sse_heartbeat_ms = 100;
  fastactor::router r;
  r.get("/quiet", [](context& ctx) {
    ctx.begin_sse();
    ctx.spawn([](caf::event_based_actor* self, response_handle out) -> caf::behavior {
      self->delayed_send(self, 450ms, caf::atom("done"));
      return {[=](caf::atom_value) {
        out.send_event(self, sse_event{"", "bye", {}, -1});
        self->quit();
      }};
    });
  });
  test_server srv{std::move(r), cfg};
  auto resp = http_get(srv.port(), "/quiet");
  CHECK(resp.complete);
  std::size_t pings = 0;
  for (auto at = resp.body.find(": ping\n\n"); at != std::string::npos;
       at = resp.body.find(": ping\n\n", at + 1))
    ++pings;
  CHECK(pings >= 2);
  CHECK(events_of(resp.body).back().data == "bye");
}

SCENARIO("an SSE stream that keeps writing gets no heartbeat", "[streams][sse]") {
  auto cfg = test_server::default_config();
  cfg.sse_heartbeat_ms = 1000;  // 25 times the gap between events
  fastactor::router r;
  r.get("/busy", [](context& ctx) {
    ctx.begin_sse();
    ctx.spawn([](caf::event_based_actor* self, response_handle out) -> caf::behavior {
      self->send(self, caf::atom("tick"), 0);
      return {[=](caf::atom_value, int n) {
        if (n == 40) {
          out.send_event(self, sse_event{"", "bye", {}, -1});
          return self->quit();
        }
        out.send_event(self, sse_event{"", std::to_string(n), {}, -1});
        self->delayed_send(self, 40ms, caf::atom("tick"), n + 1);
      }};
    });
  });
  test_server srv{std::move(r), cfg};
  auto resp = http_get(srv.port(), "/busy");
  REQUIRE(resp.complete);
  THEN("its 1.6 s of events, each within the heartbeat interval of the last, have no ping") {
    CHECK(events_of(resp.body).size() == 41);
    CHECK(resp.body.find(": ping") == std::string::npos);
  }
}

SCENARIO("GET /stream/ndjson: progress objects from parallel workers and a summary",
         "[streams][ndjson]") {
  test_server srv{test_routes()};
  auto r = http_get(srv.port(), "/stream/ndjson?items=10&workers=3");
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/x-ndjson");
  auto lines = ndjson_of(r.body);
  REQUIRE(lines.size() == 11);
  std::map<int, int> last_done, totals;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    int w = lines[i]["worker"];
    int done = lines[i]["done"];
    CHECK(done == last_done[w] + 1);  // each worker's progress in order
    last_done[w] = done;
    totals[w] = lines[i]["total"];
  }
  CHECK(totals == std::map<int, int>{{1, 4}, {2, 3}, {3, 3}});
  for (auto& [w, done] : last_done)
    CHECK(done == totals[w]);
  CHECK(lines.back()["summary"]["items"] == 10);
  CHECK(lines.back()["summary"]["workers"] == 3);
}

SCENARIO("worker errors arrive in-band in an NDJSON stream", "[streams][ndjson]") {
  fastactor::router r;
  r.get("/job", [](context& ctx) {
    ctx.begin_ndjson();
    ctx.spawn([](caf::event_based_actor* self, response_handle out) {
      out.write(self, fastactor::ndjson_line({{"step", 1}}));
      throw std::runtime_error("step 2 broke");
    });
  });
  test_server srv{std::move(r)};
  auto lines = ndjson_of(http_get(srv.port(), "/job").body);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["step"] == 1);
  CHECK(lines[1]["error"]["message"] == "threw: step 2 broke");
}
