// A producer shared by many responses (context::subscribe): one long-lived actor — here a
// broadcaster — feeds many SSE streams without an actor per stream. The response stays open
// while it is subscribed; the producer ends it with finish, or by exiting; a response that
// ends otherwise (the client left) is reported to the producer, so that it forgets it; and
// only the subscribed producer can finish a response.
#include "support/eventually.hpp"
#include "support/h2_client.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <mutex>

using namespace testing;
using namespace std::chrono_literals;
using fastactor::response_handle;

namespace {

using join_atom = caf::atom_constant<caf::atom("t_join")>;
using say_atom = caf::atom_constant<caf::atom("t_say")>;
using finish_all_atom = caf::atom_constant<caf::atom("t_finall")>;
using finish_first_atom = caf::atom_constant<caf::atom("t_fin1")>;
using count_atom = caf::atom_constant<caf::atom("t_count")>;
using first_atom = caf::atom_constant<caf::atom("t_first")>;
using quit_atom = caf::atom_constant<caf::atom("t_quit")>;

struct broadcaster_state {
  std::vector<response_handle> subscribers;
  static inline const char* name = "test.broadcaster";
};

/// Sends every event, of type `event_type`, to every subscriber; forgets a response that ended.
/// (It takes an argument: CAF 0.17 spawning a function actor without one trips UBSan in its
/// own headers, docs/robustness.md.)
caf::behavior broadcaster(caf::stateful_actor<broadcaster_state>* self, std::string event_type) {
  auto& subs = self->state.subscribers;
  return {
    [&subs](join_atom, response_handle& out) { subs.push_back(std::move(out)); },
    [&subs](fastactor::ended_atom, const response_handle& out) {
      subs.erase(std::remove(subs.begin(), subs.end(), out), subs.end());
    },
    [self, &subs, event_type](say_atom, const std::string& text) {
      for (auto& out : subs)
        out.send_event(self, fastactor::sse_event{event_type, text, {}, -1});
    },
    [self, &subs](finish_all_atom) {
      for (auto& out : subs)
        out.finish(self);
      subs.clear();
    },
    [self, &subs](finish_first_atom) {
      subs.front().finish(self);
      subs.erase(subs.begin());
    },
    [&subs](count_atom) { return static_cast<std::int64_t>(subs.size()); },
    [&subs](first_atom) { return subs.front(); },
    [self](quit_atom) { self->quit(); },
  };
}

/// The producer the routes feed from: spawned in the server's actor system, so after the
/// routes were made.
class producer_slot {
public:
  void set(caf::actor a) {
    std::lock_guard<std::mutex> guard{mtx_};
    actor_ = std::move(a);
  }
  caf::actor get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return actor_;
  }

private:
  mutable std::mutex mtx_;
  caf::actor actor_;
};

/// GET /feed: an SSE stream fed by the broadcaster (subscribed twice with ?twice=1).
fastactor::router feed_routes(std::shared_ptr<producer_slot> slot) {
  fastactor::router r;
  r.get("/feed", [slot](fastactor::context& ctx) {
    auto producer = slot->get();
    ctx.begin_sse();
    auto handle = ctx.subscribe(producer);
    if (ctx.req().query_param("twice"))
      ctx.subscribe(producer);
    ctx.self()->send(producer, join_atom::value, handle);
    if (ctx.req().query_param("fail"))  // an error of the handler's own after subscribing
      ctx.fail(fastactor::worker_error{"handler", "refused", fastactor::status::bad_request});
  });
  return r;
}

/// How many responses the broadcaster feeds (-1: no answer).
std::int64_t subscribers(caf::actor_system& sys, const caf::actor& producer) {
  caf::scoped_actor self{sys};
  std::int64_t n = -1;
  self->request(producer, 5s, count_atom::value)
    .receive([&](std::int64_t x) { n = x; }, [](caf::error&) {});
  return n;
}

/// The handle the broadcaster got first (empty: no answer).
response_handle first_subscriber(caf::actor_system& sys, const caf::actor& producer) {
  caf::scoped_actor self{sys};
  response_handle h;
  self->request(producer, 5s, first_atom::value)
    .receive([&](response_handle& x) { h = x; }, [](caf::error&) {});
  return h;
}

bool has_subscribers(caf::actor_system& sys, const caf::actor& producer, std::int64_t n) {
  return eventually([&] { return subscribers(sys, producer) == n; });
}

/// A server with /feed and the broadcaster it feeds from, in the server's actor system.
struct feed_fixture {
  feed_fixture() {
    producer = srv.system().spawn(broadcaster, std::string{"news"});
    slot->set(producer);
  }
  /// The broadcaster goes before the actor system, which waits for every actor.
  ~feed_fixture() { caf::anon_send_exit(producer, caf::exit_reason::user_shutdown); }

  caf::actor_system& sys() { return srv.system(); }
  std::uint16_t port() { return srv.port(); }

  std::shared_ptr<producer_slot> slot = std::make_shared<producer_slot>();
  test_server srv{feed_routes(slot)};
  caf::actor producer;
};

}  // namespace

SCENARIO("one producer feeds many responses, and its finish ends each", "[shared-producer]") {
  GIVEN("three clients on a stream the broadcaster feeds") {
    feed_fixture f;
    auto port = f.port();
    std::vector<std::unique_ptr<http_client>> clients;
    for (int i = 0; i < 3; ++i) {
      clients.push_back(std::make_unique<http_client>(port));
      clients.back()->send_get(i == 0 ? "/feed?twice=1" : "/feed");
    }
    REQUIRE(has_subscribers(f.sys(), f.producer, 3));

    WHEN("it says something and then finishes") {
      caf::anon_send(f.producer, say_atom::value, std::string{"hello"});
      caf::anon_send(f.producer, finish_all_atom::value);

      THEN("every client got the event and a complete response") {
        for (auto& c : clients) {
          auto r = c->read_response();
          CHECK(r.status == 200);
          CHECK(r.complete);
          CHECK(r.body.find("data: hello\n") != std::string::npos);
          CHECK(r.body.find("event: error") == std::string::npos);
        }
        CHECK(f.srv.idle());
      }
      AND_THEN("the producer lives on and feeds the next response") {
        for (auto& c : clients)
          c->read_response();
        http_client next{port};
        next.send_get("/feed");
        REQUIRE(has_subscribers(f.sys(), f.producer, 1));
        caf::anon_send(f.producer, say_atom::value, std::string{"again"});
        caf::anon_send(f.producer, finish_all_atom::value);
        auto r = next.read_response();
        CHECK(r.complete);
        CHECK(r.body.find("data: again\n") != std::string::npos);
      }
    }
  }
}

SCENARIO("a response that ends without the producer is reported to it", "[shared-producer]") {
  GIVEN("two clients on the feed") {
    feed_fixture f;
    http_client leaving{f.port()};
    http_client staying{f.port()};
    leaving.send_get("/feed");
    staying.send_get("/feed");
    REQUIRE(has_subscribers(f.sys(), f.producer, 2));

    WHEN("one client vanishes") {
      leaving.close();

      THEN("the producer is told, forgets it, and goes on feeding the other") {
        CHECK(has_subscribers(f.sys(), f.producer, 1));
        caf::anon_send(f.producer, say_atom::value, std::string{"still here"});
        caf::anon_send(f.producer, finish_all_atom::value);
        auto r = staying.read_response();
        CHECK(r.complete);
        CHECK(r.body.find("data: still here\n") != std::string::npos);
        CHECK(f.srv.idle());
      }
    }
  }
}

SCENARIO("a producer that exits ends the responses it feeds", "[shared-producer]") {
  GIVEN("a client on the feed") {
    feed_fixture f;
    http_client c{f.port()};
    c.send_get("/feed");
    REQUIRE(has_subscribers(f.sys(), f.producer, 1));

    WHEN("the producer quits") {
      caf::anon_send(f.producer, quit_atom::value);
      THEN("the response completes, without an error") {
        auto r = c.read_response();
        CHECK(r.complete);
        CHECK(r.body.find("event: error") == std::string::npos);
        CHECK(f.srv.idle());
      }
    }
    WHEN("the producer is killed") {
      caf::anon_send_exit(f.producer, caf::exit_reason::kill);
      THEN("the response completes with the error in the stream") {
        auto r = c.read_response();
        CHECK(r.complete);
        CHECK(r.body.find("event: error") != std::string::npos);
        CHECK(r.body.find("exited") != std::string::npos);
        CHECK(f.srv.idle());
      }
    }
  }
}

SCENARIO("only the subscribed producer can finish a response", "[shared-producer][attack]") {
  GIVEN("a client on the feed, and another actor that got hold of its handle") {
    feed_fixture f;
    http_client c{f.port()};
    c.send_get("/feed");
    REQUIRE(has_subscribers(f.sys(), f.producer, 1));
    auto stolen = first_subscriber(f.sys(), f.producer);
    REQUIRE(stolen);
    auto forged_before = f.srv.stats().forged_messages_total.load();

    WHEN("that actor says the response is finished") {
      f.sys().spawn([](caf::event_based_actor* intruder, response_handle h) { h.finish(intruder); },
                    stolen);

      THEN("the writer counts it as forged and the response goes on") {
        CHECK(eventually(
          [&] { return f.srv.stats().forged_messages_total.load() == forged_before + 1; }));
        caf::anon_send(f.producer, say_atom::value, std::string{"after"});
        caf::anon_send(f.producer, finish_all_atom::value);
        auto r = c.read_response();
        CHECK(r.complete);
        CHECK(r.body.find("data: after\n") != std::string::npos);
      }
    }
  }
}

SCENARIO("two streams of one HTTP/2 connection share a producer", "[shared-producer][http2]") {
  GIVEN("two streams on the feed over one connection") {
    feed_fixture f;
    h2_client c{f.port()};
    REQUIRE(c.connected());
    auto first = c.submit("GET", "/feed");
    REQUIRE(c.run_until([&] { return subscribers(f.sys(), f.producer) == 1; }, 5s));
    auto second = c.submit("GET", "/feed");
    REQUIRE(c.run_until([&] { return subscribers(f.sys(), f.producer) == 2; }, 5s));

    WHEN("the producer finishes the first, then is killed") {
      caf::anon_send(f.producer, finish_first_atom::value);
      REQUIRE(c.wait_for(first, 5s));
      caf::anon_send_exit(f.producer, caf::exit_reason::kill);

      THEN("the first ended cleanly, and the writer still saw the producer go for the second") {
        // The server's watch of the producer outlives the first stream's release.
        CHECK(c.response(first).ended);
        CHECK(c.response(first).body.find("event: error") == std::string::npos);
        REQUIRE(c.wait_for(second, 5s));
        CHECK(c.response(second).ended);
        CHECK(c.response(second).body.find("event: error") != std::string::npos);
      }
    }
  }
}

SCENARIO("a response subscribed to a producer that has already ended does not wait for it",
         "[shared-producer]") {
  GIVEN("a feed whose producer was killed before any client came") {
    feed_fixture f;
    {
      caf::scoped_actor self{f.sys()};
      self->monitor(f.producer);
      caf::anon_send_exit(f.producer, caf::exit_reason::kill);
      self->receive([](caf::down_msg&) {});
    }

    WHEN("a client asks for the feed") {
      auto r = http_get(f.port(), "/feed");

      THEN("the response ends at once, with the producer's end as its error") {
        CHECK(r.status == 200);
        CHECK(r.complete);
        CHECK(r.body.find("event: error") != std::string::npos);
        CHECK(f.srv.idle());
      }
    }
  }
}

SCENARIO("an error before the first byte does not wait for a shared producer",
         "[shared-producer]") {
  GIVEN("a handler that subscribes the broadcaster, then fails the request (400)") {
    feed_fixture f;
    http_client c{f.port(), std::chrono::seconds(3)};
    c.send_get("/feed?fail=1");

    WHEN("the client waits for its answer") {
      auto r = c.read_response();

      THEN("it is the 400 report at once, and the broadcaster was told the response ended") {
        CHECK(r.status == 400);
        CHECK(r.complete);
        CHECK(has_subscribers(f.sys(), f.producer, 0));
        CHECK(f.srv.idle());
      }
    }
  }
}

SCENARIO("finishing takes the subscription's key, not only the producer's name",
         "[shared-producer][attack]") {
  GIVEN("a client on the feed, and an actor with the response's plain handle") {
    feed_fixture f;
    http_client c{f.port()};
    c.send_get("/feed");
    REQUIRE(has_subscribers(f.sys(), f.producer, 1));
    auto subscribed = first_subscriber(f.sys(), f.producer);
    REQUIRE(subscribed);
    response_handle plain{subscribed.writer(), subscribed.id()};  // what output() gives
    auto forged_before = f.srv.stats().forged_messages_total.load();

    WHEN("it sends finish in the subscribed producer's name (CAF's send_as), without the key") {
      caf::send_as(f.producer, plain.writer(), fastactor::finish_atom::value, plain.id(),
                   std::uint64_t{0});
      caf::send_as(f.producer, plain.writer(), fastactor::finish_atom::value, plain.id(),
                   std::uint64_t{1});

      THEN("both are counted as forged and the response goes on until the producer finishes") {
        CHECK(eventually(
          [&] { return f.srv.stats().forged_messages_total.load() == forged_before + 2; }));
        caf::anon_send(f.producer, say_atom::value, std::string{"after"});
        caf::anon_send(f.producer, finish_all_atom::value);
        auto r = c.read_response();
        CHECK(r.complete);
        CHECK(r.body.find("data: after\n") != std::string::npos);
      }
    }
  }
}

SCENARIO("a writer that is killed tells its shared producer", "[shared-producer]") {
  GIVEN("a client on the feed") {
    feed_fixture f;
    http_client c{f.port()};
    c.send_get("/feed");
    REQUIRE(has_subscribers(f.sys(), f.producer, 1));
    auto h = first_subscriber(f.sys(), f.producer);
    REQUIRE(h);

    WHEN("its writer is killed") {
      caf::anon_send_exit(h.writer(), caf::exit_reason::kill);

      THEN("the broadcaster forgets the response") {
        CHECK(has_subscribers(f.sys(), f.producer, 0));
      }
    }
  }
}

namespace {

/// /a fed by `one`; /b fed by `two`, whose plain handle `one` gets too (not subscribed).
fastactor::router two_feed_routes(std::shared_ptr<producer_slot> one,
                                  std::shared_ptr<producer_slot> two) {
  fastactor::router r;
  r.get("/a", [one](fastactor::context& ctx) {
    ctx.begin_sse();
    ctx.self()->send(one->get(), join_atom::value, ctx.subscribe(one->get()));
  });
  r.get("/b", [one, two](fastactor::context& ctx) {
    ctx.begin_sse();
    ctx.self()->send(two->get(), join_atom::value, ctx.subscribe(two->get()));
    ctx.self()->send(one->get(), join_atom::value, ctx.output());
  });
  return r;
}

struct two_feed_fixture {
  two_feed_fixture() {
    p1 = srv.system().spawn(broadcaster, std::string{"news"});
    p2 = srv.system().spawn(broadcaster, std::string{"news"});
    one->set(p1);
    two->set(p2);
  }
  ~two_feed_fixture() {
    caf::anon_send_exit(p1, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(p2, caf::exit_reason::user_shutdown);
  }
  std::shared_ptr<producer_slot> one = std::make_shared<producer_slot>();
  std::shared_ptr<producer_slot> two = std::make_shared<producer_slot>();
  test_server srv{two_feed_routes(one, two)};
  caf::actor p1, p2;
};

}  // namespace

SCENARIO("a producer cannot finish another stream of the same HTTP/2 connection",
         "[shared-producer][http2][attack]") {
  GIVEN("stream A fed by p1, stream B fed by p2, and p1 holding B's plain handle too") {
    two_feed_fixture f;
    auto& sys = f.srv.system();
    h2_client c{f.srv.port()};  // over TLS in the TLS run of the [attack] cases
    REQUIRE(c.connected());
    auto a = c.submit("GET", "/a");
    REQUIRE(c.run_until([&] { return subscribers(sys, f.p1) == 1; }, 5s));
    auto b = c.submit("GET", "/b");
    REQUIRE(
      c.run_until([&] { return subscribers(sys, f.p1) == 2 && subscribers(sys, f.p2) == 1; }, 5s));
    auto forged_before = f.srv.stats().forged_messages_total.load();

    WHEN("p1 finishes every handle it holds") {
      caf::anon_send(f.p1, finish_all_atom::value);
      REQUIRE(c.wait_for(a, 5s));

      THEN("A ends, B's finish from p1 is forged, and B goes on until p2 finishes it") {
        CHECK(c.run_until(
          [&] { return f.srv.stats().forged_messages_total.load() == forged_before + 1; }, 5s));
        c.run_until([] { return false; }, 200ms);
        CHECK_FALSE(c.response(b).ended);
        caf::anon_send(f.p2, say_atom::value, std::string{"b"});
        caf::anon_send(f.p2, finish_all_atom::value);
        REQUIRE(c.wait_for(b, 5s));
        CHECK(c.response(b).ended);
        CHECK(c.response(b).body.find("data: b\n") != std::string::npos);
      }
    }
  }
}
