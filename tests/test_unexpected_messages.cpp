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

/// Adds the routes to `r`; returns where /subscribed keeps its last producer.
std::shared_ptr<caf::actor> unexpected_routes_into(fastactor::router& r) {
  auto producer_slot = std::make_shared<caf::actor>();
  r.get("/hello", [](fastactor::context& ctx) { ctx.write("ok"); });
  r.get("/errors", [](fastactor::context& ctx) { ctx.spawn(error_sender); });
  r.get("/unrequested", [](fastactor::context& ctx) { ctx.spawn(unrequested_writer); });
  // A subscription, then an error before the first byte: the response ends at once, and the
  // writer tells the producer (ended_atom).
  r.get("/subscribed", [slot = producer_slot](fastactor::context& ctx) {
    *slot = ctx.system().spawn(producer, ctx.req().query_param("answers") == std::string_view{"1"});
    ctx.subscribe(*slot);
    ctx.fail("refused on purpose", fastactor::status::bad_request);
  });
  // The handler's own request, without an error handler, to an actor that refuses it.
  r.get("/own-request", [](fastactor::context& ctx) {
    auto refuser = ctx.system().spawn(strings_only, 0);
    ctx.self()->request(refuser, 5s, std::int32_t{1}).then([](std::int32_t) {});
    ctx.write("ok");
  });
  r.get("/adopt-nothing", [](fastactor::context& ctx) { ctx.adopt(caf::actor{}); });
  r.get("/adopt-writer",
        [](fastactor::context& ctx) { ctx.adopt(caf::actor_cast<caf::actor>(ctx.self())); });
  return producer_slot;
}

/// A server with the routes above, and one keep-alive connection to it.
struct writer_fixture {
  writer_fixture()
    : producer(unexpected_routes_into(routes)), srv(std::move(routes)), c(srv.port()) {}

  /// The connection still serves a request: its writer did not end.
  bool serves_on() { return c.get("/hello").body == "ok"; }
  /// unexpected_messages_total reaches `n` (within 5 s).
  bool unexpected_reach(std::uint64_t n) {
    return srv.server().wait_for([n](auto& s) { return s.unexpected_messages_total == n; }, 5s);
  }

  fastactor::router routes;
  std::shared_ptr<caf::actor> producer;  ///< the last shared producer /subscribed made
  test_server srv;
  http_client c;
};

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
  writer_fixture f;
  WHEN("a worker sends its response's writer an error and an ill-typed chunk") {
    auto resp = f.c.get("/errors");
    THEN("the sender lives to write its line, both are counted, and the connection serves on") {
      CHECK(resp.status == 200);
      CHECK(resp.complete);
      CHECK(resp.body == "still here\n");
      CHECK(f.unexpected_reach(2));
      CHECK(f.serves_on());
      CHECK(f.srv.stats().live_writers == 1);
    }
  }
}

SCENARIO("a write_atom sent without a request is written, and no ack is due",
         "[unexpected][writer]") {
  writer_fixture f;
  auto resp = f.c.get("/unrequested");
  CHECK(resp.status == 200);
  CHECK(resp.complete);
  CHECK(resp.body == "first\nsecond\n");
  AND_THEN("nothing bounced back, and the connection serves on") {
    CHECK(f.srv.stats().unexpected_messages_total == 0);
    CHECK(f.serves_on());
  }
}

SCENARIO("a shared producer told that a response ended cannot cost the connection",
         "[unexpected][writer][shared-producer]") {
  writer_fixture f;
  for (bool answers_ended : {false, true}) {
    GIVEN(std::string{answers_ended ? "a producer whose ended_atom handler returns a value"
                                    : "a producer without an ended_atom handler"}) {
      WHEN("a response subscribed to it ends with an error before its first byte") {
        auto resp = f.c.get(answers_ended ? "/subscribed?answers=1" : "/subscribed?answers=0");
        THEN("the error is answered, the connection serves on, and the producer lives") {
          CHECK(resp.status == 400);
          CHECK(resp.body.find("refused on purpose") != std::string::npos);
          CHECK(f.serves_on());
          CHECK(answers(f.srv.system(), *f.producer));
          // Nothing came back: the writer's ended_atom has no sender to answer or bounce to.
          CHECK(f.srv.stats().unexpected_messages_total == 0);
          // It would live for ever (the actor system's end waits for it): ended here.
          caf::anon_send_exit(*f.producer, caf::exit_reason::kill);
        }
      }
    }
  }
}

SCENARIO("a handler's own request that fails without an error handler ends nothing",
         "[unexpected][writer]") {
  writer_fixture f;
  auto resp = f.c.get("/own-request");
  CHECK(resp.body == "ok");
  THEN("the failure is counted, and the connection serves on") {
    CHECK(f.unexpected_reach(1));
    CHECK(f.serves_on());
    CHECK(f.srv.stats().live_writers == 1);
  }
}

SCENARIO("adopting an empty actor handle, or the writer, is an error of the response",
         "[unexpected][writer]") {
  writer_fixture f;
  auto resp = f.c.get("/adopt-nothing");
  CHECK(resp.status == 500);
  CHECK(resp.body.find("adopt: no actor") != std::string::npos);
  CHECK(f.serves_on());
  AND_THEN("adopting the writer itself is one too (its end would kill the writer)") {
    auto own = f.c.get("/adopt-writer");
    CHECK(own.status == 500);
    CHECK(own.body.find("adopt: the writer cannot be its own worker") != std::string::npos);
    CHECK(f.serves_on());
  }
}
