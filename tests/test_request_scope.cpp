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
void check_kept_for_log_and_framing(const request& req) {
  CHECK(req.method == method::get);
  CHECK(req.target == "/events?topic=prices&since=0");
  CHECK(req.peer == "127.0.0.1:51234");
  CHECK(req.version == 11);
  CHECK(req.keep_alive);
}

void check_untouched(const request_scope& sc) {
  CHECK(sc.req().query.size() == 2);
  CHECK(sc.req().headers.size() == 3);
  CHECK(sc.req().body.size() == 100);
  CHECK(sc.headers.size() == 1);
}

}  // namespace

SCENARIO("a response under way frees the request fields it no longer reads", "[request_scope]") {
  std::atomic<std::int64_t> held{0};
  GIVEN("a scope whose handler set a header field") {
    request_scope sc{1, 0, browser_request(), held};
    sc.headers = {{"Content-Type", "text/event-stream"}};

    WHEN("the handler returned and the head went out") {
      sc.handler_returned = true;
      sc.phase = response_phase::streaming;
      sc.release_spent_fields();
      THEN("query, path and route parameters, header fields, body and the head's fields are "
           "freed") {
        const auto& req = sc.req();
        CHECK(req.path.capacity() <= std::string{}.capacity());
        CHECK(req.query.capacity() == 0);
        CHECK(req.params.capacity() == 0);
        CHECK(req.headers.capacity() == 0);
        CHECK(req.trailers.capacity() == 0);
        CHECK(req.body.capacity() <= std::string{}.capacity());
        CHECK(sc.headers.capacity() == 0);
      }
      THEN("what the framing and the access log read is kept") {
        check_kept_for_log_and_framing(sc.req());
      }
    }
    WHEN("the head went out while the handler still runs") {
      sc.phase = response_phase::streaming;
      sc.release_spent_fields();
      THEN("nothing is freed: the handler may still read its request") {
        check_untouched(sc);
      }
    }
    WHEN("the handler returned but no byte went out") {
      sc.handler_returned = true;
      sc.release_spent_fields();
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
      sc.release_spent_fields();
      THEN("nothing is freed: the other holder may read it") {
        check_untouched(sc);
        CHECK(in->req.headers.size() == 3);
      }
    }
  }
}
