// Only the owner drives the writer: the connection's messages carry a key that never leaves
// the server, a task's `done` carries a token only that task has, and nobody is linked to the
// writer. A worker holding the writer's handle (every response_handle carries it, to other
// nodes too) that forges any of them changes nothing, and /metrics counts it.
#include "actors/connection.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace testing;
using namespace std::chrono_literals;
using fastactor::connection_key;

namespace {

/// A worker that writes its line only after a while: the response must wait for it.
caf::behavior slow_sibling(caf::event_based_actor* self, fastactor::response_handle out) {
  self->delayed_send(self, 700ms, 1);  // after the task: an early end would miss this line
  return {[=](int) {
    out.write(self, "sibling done\n");
    self->quit();
  }};
}

/// Sends the writer every control message it must refuse, then writes its own line.
void forger(caf::event_based_actor* self, fastactor::response_handle out, caf::actor sibling) {
  const auto& w = out.writer();
  // "The sibling has ended": a down message in somebody else's name.
  self->send(w, caf::down_msg{sibling.address(), caf::exit_reason::normal});
  self->send(w, fastactor::write_done_atom::value, connection_key{1}, fastactor::channel_id{0},
             true);
  self->send(w, fastactor::closed_atom::value, connection_key{2});
  self->send(w, fastactor::timer_atom::value, connection_key{3});
  self->send(w, fastactor::shutdown_atom::value, connection_key{4}, true);
  self->send(w, fastactor::request_atom::value, connection_key{5}, fastactor::channel_id{0},
             std::shared_ptr<fastactor::routed_request>{});
  // The connection's request with a string where the request belongs: the writer takes its
  // requests without CAF's matching (writer_actor::consume_request), and must check the types
  // before it reads one. Not a forgery the writer can count: it matches none of its messages,
  // and CAF drops it.
  self->send(w, fastactor::request_atom::value, connection_key{7}, fastactor::channel_id{0},
             std::string{"not a request"});
  self->send(w, fastactor::reset_atom::value, connection_key{6}, fastactor::channel_id{0});
  self->send(w, fastactor::done_atom::value, out.id(), std::uint64_t{42});
  // "A shared producer ended": without the server's token (producer_watches).
  self->send(w, fastactor::producer_ended_atom::value, sibling.address(), caf::error{},
             std::uint64_t{42});
  // "This response is finished": only a producer it is subscribed to may say so.
  out.finish(self);
  self->send(w, fastactor::flush_atom::value);  // the writer's own
  self->send(w, fastactor::resume_atom::value);  // the writer's own
  self->send_exit(w, caf::exit_reason::user_shutdown);
  out.write(self, "forger still here\n");
}

constexpr std::uint64_t forgeries = 13;

fastactor::router forging_routes() {
  fastactor::router r;
  r.get("/hello", [](fastactor::context& ctx) { ctx.write("ok"); });
  r.get("/forge", [](fastactor::context& ctx) {
    // A task still running: a forged `done` accepted would end the response without it.
    ctx.go([](fastactor::task_context& t) {
      std::this_thread::sleep_for(300ms);
      t.write("task done\n");
    });
    ctx.spawn(forger, ctx.spawn(slow_sibling));
  });
  return r;
}

}  // namespace

SCENARIO("forged control messages from a worker change nothing and are counted",
         "[forged][writer]") {
  test_server srv{forging_routes()};
  GIVEN("a request whose worker forges the connection's and a task's messages") {
    http_client c{srv.port()};
    auto r = c.get("/forge");
    THEN("the response is whole: neither cut, closed nor ended early") {
      CHECK(r.status == 200);
      CHECK(r.complete);
      CHECK(r.body.find("forger still here\n") != std::string::npos);
      CHECK(r.body.find("task done\n") != std::string::npos);
      CHECK(r.body.find("sibling done\n") != std::string::npos);
    }
    THEN("every forgery is counted, and the connection serves the next request") {
      CHECK(
        srv.server().wait_for([](auto& s) { return s.forged_messages_total == forgeries; }, 5s));
      CHECK(c.get("/hello").body == "ok");
      CHECK(srv.stats().live_writers == 1);
    }
  }
}
