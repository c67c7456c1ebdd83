// The request scope: what a request/response exchange holds while the writer serves it, and
// what it lets go of once a response is under way.
#include "actors/request_scope.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>

using namespace fastactor;

namespace {

/// A request as a browser's event stream sends it: a query, header fields, a body.
std::shared_ptr<routed_request> browser_request() {
  auto in = std::make_shared<routed_request>();
  auto& req = in->req;
  req.method = method::get;
  req.target = "/events?topic=prices&since=0";
  req.path = "/events";
  req.query = {{"topic", "prices"}, {"since", "0"}};
  req.params = {{"feed", "prices"}};
  req.headers = {{"Host", "example.com"},
                 {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},
                 {"Accept", "text/event-stream"}};
  req.body = std::string(100, 'b');
  req.peer = "127.0.0.1:51234";
  req.version = 11;
  req.keep_alive = true;
  return in;
}

/// What the framing and the access log read of a request, and of nothing else.
void check_kept_for_log_and_framing(const request_scope& sc) {
  CHECK(sc.log_method() == "GET");
  CHECK(sc.log_target() == "/events?topic=prices&since=0");
  CHECK(sc.log_peer() == "127.0.0.1:51234");
  CHECK(sc.version == 11);
  CHECK_FALSE(sc.head);
  CHECK(sc.keep_alive_asked);
}

void check_untouched(const request_scope& sc) {
  CHECK(sc.req().query.size() == 2);
  CHECK(sc.req().headers.size() == 3);
  CHECK(sc.req().body.size() == 100);
  CHECK(sc.headers.size() == 1);
}

}  // namespace

SCENARIO("a response under way lets go of the request it no longer reads", "[request_scope]") {
  std::atomic<std::int64_t> held_total{0};
  held_share held{held_total};
  GIVEN("a scope whose handler set a header field") {
    auto in = browser_request();
    std::weak_ptr<routed_request> request_alive = in;
    request_scope sc{1, 0, std::move(in), held};
    sc.headers = {{"Content-Type", "text/event-stream"}};

    WHEN("the handler returned and the head went out, with an access log") {
      sc.handler_returned = true;
      sc.phase = response_phase::streaming;
      sc.release_spent_fields(true);
      THEN("the request (its query, fields and body) and the head's fields are freed") {
        CHECK(sc.in == nullptr);
        CHECK(request_alive.expired());
        CHECK(sc.headers.capacity() == 0);
      }
      THEN("what the framing and the access log read is kept") {
        check_kept_for_log_and_framing(sc);
      }
    }
    WHEN("the same without an access log") {
      sc.handler_returned = true;
      sc.phase = response_phase::streaming;
      sc.release_spent_fields(false);
      THEN("nothing of the request line is kept, only the framing's facts") {
        CHECK(request_alive.expired());
        CHECK(sc.logged == nullptr);
        CHECK(sc.log_target().empty());
        CHECK(sc.version == 11);
        CHECK(sc.keep_alive_asked);
      }
    }
    WHEN("the head went out while the handler still runs") {
      sc.phase = response_phase::streaming;
      sc.release_spent_fields(true);
      THEN("nothing is freed: the handler may still read its request") {
        check_untouched(sc);
        check_kept_for_log_and_framing(sc);
      }
    }
    WHEN("the handler returned but no byte went out") {
      sc.handler_returned = true;
      sc.release_spent_fields(true);
      THEN("nothing is freed: the head is still to be made from them") {
        check_untouched(sc);
      }
    }
  }
  GIVEN("a scope whose request someone else holds too") {
    auto in = browser_request();
    request_scope sc{1, 0, in, held};
    sc.headers = {{"Content-Type", "text/event-stream"}};
    WHEN("the handler returned and the head went out") {
      sc.handler_returned = true;
      sc.phase = response_phase::streaming;
      sc.release_spent_fields(true);
      THEN("nothing is freed: the other holder may read it") {
        check_untouched(sc);
        CHECK(in->req.headers.size() == 3);
        CHECK(in->req.target == "/events?topic=prices&since=0");
      }
    }
  }
  GIVEN("a HEAD request with a method of its own name") {
    auto in = browser_request();
    in->req.method = method::other;
    in->req.other_method = "PROPFIND";
    request_scope other{1, 0, std::move(in), held};
    auto head_request = browser_request();
    head_request->req.method = method::head;
    head_request->req.version = 10;
    head_request->req.keep_alive = false;
    request_scope head{2, 0, std::move(head_request), held};
    WHEN("both let their requests go") {
      for (auto* sc : {&other, &head}) {
        sc->handler_returned = true;
        sc->phase = response_phase::streaming;
        sc->release_spent_fields(true);
      }
      THEN("the log keeps the method's own name, the framing HEAD, HTTP/1.0 and the close") {
        CHECK(other.log_method() == "PROPFIND");
        CHECK(head.log_method() == "HEAD");
        CHECK(head.head);
        CHECK(head.version == 10);
        CHECK_FALSE(head.keep_alive_asked);
      }
    }
  }
}
