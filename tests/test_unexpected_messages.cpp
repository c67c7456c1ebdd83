// Messages the writer has no use for: an error, an ill-typed message, an answer nobody asked
// for. Anyone holding a response's handle can send them (another node's actors too), and the
// writer's own sends can come back as them. CAF's defaults would end the writer on an error,
// and with it the connection and every stream on it; here each is dropped, counted in
// unexpected_messages_total, and the connection serves on.
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include <memory>

using namespace testing;
using namespace std::chrono_literals;

namespace {

using ping_atom = caf::atom_constant<caf::atom("t_ping")>;
using more_atom = caf::atom_constant<caf::atom("t_more")>;

/// Sends the writer an error and an ill-typed chunk (1 MiB of it), in its own name, then stays
/// a while: a bounce of either would reach it as an error, and CAF's default error handler
/// would end it before its line.
caf::behavior error_sender(caf::event_based_actor* self, fastactor::response_handle out) {
  self->send(out.writer(), caf::make_error(caf::sec::runtime_error));
  self->send(out.writer(), fastactor::chunk_atom::value, std::int32_t{7},
             std::string(1 << 20, 'x'));
  self->delayed_send(self, 300ms, more_atom::value);
  return {[=](more_atom) {
    out.write(self, "still here\n");
    self->quit();
  }};
}

/// Writes through a plain send of write_atom (no request, so no ack is due), stays a while
/// (an ack it got would bounce back as an error), then writes once more and ends.
caf::behavior unrequested_writer(caf::event_based_actor* self, fastactor::response_handle out) {
  self->send(out.writer(), fastactor::write_atom::value, out.id(), std::string{"first\n"});
  self->delayed_send(self, 300ms, more_atom::value);
  return {[=](more_atom) {
    out.write(self, "second\n");
    self->quit();
  }};
}

/// A shared producer that answers pings. `answers_ended`: it handles ended_atom and returns
/// something; else it has no handler for it at all. (It takes an argument: CAF 0.17 spawning
/// a function actor without one trips UBSan.)
caf::behavior producer(caf::event_based_actor*, bool answers_ended) {
  if (answers_ended)
    return {
      [](ping_atom p) { return p; },
      [](fastactor::ended_atom, const fastactor::response_handle&) { return std::int32_t{42}; },
    };
  return {[](ping_atom p) { return p; }};
}

/// Answers only strings: a request of an int fails.
caf::behavior strings_only(caf::event_based_actor*, int) {
  return {[](const std::string&) {}};
}

struct routes_and_producer {
  fastactor::router routes;
  std::shared_ptr<caf::actor> producer = std::make_shared<caf::actor>();
};

routes_and_producer unexpected_routes() {
  routes_and_producer r;
  r.routes.get("/hello", [](fastactor::context& ctx) { ctx.write("ok"); });
  r.routes.get("/errors", [](fastactor::context& ctx) { ctx.spawn(error_sender); });
  r.routes.get("/unrequested", [](fastactor::context& ctx) { ctx.spawn(unrequested_writer); });
  // A subscription, then an error before the first byte: the response ends at once, and the
  // writer tells the producer (ended_atom).
  r.routes.get("/subscribed", [slot = r.producer](fastactor::context& ctx) {
    *slot = ctx.system().spawn(producer, ctx.req().query_param("answers") == std::string_view{"1"});
    ctx.subscribe(*slot);
    ctx.fail("refused on purpose", fastactor::status::bad_request);
  });
  // The handler's own request, without an error handler, to an actor that refuses it.
  r.routes.get("/own-request", [](fastactor::context& ctx) {
    auto refuser = ctx.system().spawn(strings_only, 0);
    ctx.self()->request(refuser, 5s, std::int32_t{1}).then([](std::int32_t) {});
    ctx.write("ok");
  });
  r.routes.get("/adopt-nothing", [](fastactor::context& ctx) { ctx.adopt(caf::actor{}); });
  r.routes.get("/adopt-writer",
               [](fastactor::context& ctx) { ctx.adopt(caf::actor_cast<caf::actor>(ctx.self())); });
  return r;
}

/// True if `who` answers a ping: it is alive and was not ended by a bounce.
bool answers(caf::actor_system& sys, const caf::actor& who) {
  caf::scoped_actor self{sys};
  bool answered = false;
  self->request(who, 5s, ping_atom::value)
    .receive([&](ping_atom) { answered = true; }, [](caf::error&) {});
  return answered;
}

}  // namespace

SCENARIO("an error or an ill-typed message sent to the writer ends nothing",
         "[unexpected][writer]") {
  auto r = unexpected_routes();
  test_server srv{std::move(r.routes)};
  http_client c{srv.port()};
  WHEN("a worker sends its response's writer an error and an ill-typed chunk") {
    auto resp = c.get("/errors");
    THEN("the sender lives to write its line, both are counted, and the connection serves on") {
      CHECK(resp.status == 200);
      CHECK(resp.complete);
      CHECK(resp.body == "still here\n");
      CHECK(srv.server().wait_for([](auto& s) { return s.unexpected_messages_total == 2; }, 5s));
      CHECK(c.get("/hello").body == "ok");
      CHECK(srv.stats().live_writers == 1);
    }
  }
}

SCENARIO("a write_atom sent without a request is written, and no ack is due",
         "[unexpected][writer]") {
  auto r = unexpected_routes();
  test_server srv{std::move(r.routes)};
  http_client c{srv.port()};
  auto resp = c.get("/unrequested");
  CHECK(resp.status == 200);
  CHECK(resp.complete);
  CHECK(resp.body == "first\nsecond\n");
  AND_THEN("nothing bounced back, and the connection serves on") {
    CHECK(srv.stats().unexpected_messages_total == 0);
    CHECK(c.get("/hello").body == "ok");
  }
}

SCENARIO("a shared producer told that a response ended cannot cost the connection",
         "[unexpected][writer][shared-producer]") {
  auto r = unexpected_routes();
  auto slot = r.producer;
  test_server srv{std::move(r.routes)};
  http_client c{srv.port()};
  for (bool answers_ended : {false, true}) {
    GIVEN(std::string{answers_ended ? "a producer whose ended_atom handler returns a value"
                                    : "a producer without an ended_atom handler"}) {
      WHEN("a response subscribed to it ends with an error before its first byte") {
        auto resp = c.get(answers_ended ? "/subscribed?answers=1" : "/subscribed?answers=0");
        THEN("the error is answered, the connection serves on, and the producer lives") {
          CHECK(resp.status == 400);
          CHECK(resp.body.find("refused on purpose") != std::string::npos);
          CHECK(c.get("/hello").body == "ok");
          CHECK(answers(srv.system(), *slot));
          // Nothing came back: the writer's ended_atom has no sender to answer or bounce to.
          CHECK(srv.stats().unexpected_messages_total == 0);
          // It would live for ever (the actor system's end waits for it): ended here.
          caf::anon_send_exit(*slot, caf::exit_reason::kill);
        }
      }
    }
  }
}

SCENARIO("a handler's own request that fails without an error handler ends nothing",
         "[unexpected][writer]") {
  auto r = unexpected_routes();
  test_server srv{std::move(r.routes)};
  http_client c{srv.port()};
  auto resp = c.get("/own-request");
  CHECK(resp.body == "ok");
  THEN("the failure is counted, and the connection serves on") {
    CHECK(srv.server().wait_for([](auto& s) { return s.unexpected_messages_total == 1; }, 5s));
    CHECK(c.get("/hello").body == "ok");
    CHECK(srv.stats().live_writers == 1);
  }
}

SCENARIO("adopting an empty actor handle, or the writer, is an error of the response",
         "[unexpected][writer]") {
  auto r = unexpected_routes();
  test_server srv{std::move(r.routes)};
  http_client c{srv.port()};
  auto resp = c.get("/adopt-nothing");
  CHECK(resp.status == 500);
  CHECK(resp.body.find("adopt: no actor") != std::string::npos);
  CHECK(c.get("/hello").body == "ok");
  AND_THEN("adopting the writer itself is one too (its end would kill the writer)") {
    auto own = c.get("/adopt-writer");
    CHECK(own.status == 500);
    CHECK(own.body.find("adopt: the writer cannot be its own worker") != std::string::npos);
    CHECK(c.get("/hello").body == "ok");
  }
}
