// The request path's recycled memory (server/request_recycler.hpp, server/spare_blocks.hpp):
// a spent request comes back as a new one, with nothing of the client that sent it; what a
// thread keeps is bounded; and over real sockets, each request a connection sends is seen
// as sent, whatever the requests before it carried.
#include "server/request_recycler.hpp"
#include "server/spare_blocks.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace testing;
using fastactor::make_routed_request;
using fastactor::routed_request;

namespace {

/// Nothing is recycled under AddressSanitizer (a use after a request was spent must be
/// ASan's to see), so what is kept is checked only where it is.
bool recycling() {
  return fastactor::spare_blocks::per_size_max() > 0;
}

void fill_every_member(routed_request& r, std::size_t fields, std::size_t body_bytes) {
  auto& q = r.req;
  q.method = fastactor::method::other;
  q.other_method = "PROPFIND";
  q.target = "/a/very/long/target/that/is/not/small/" + std::string(40, 't') + "?x=1";
  q.path = "/a/very/long/target/that/is/not/small/" + std::string(40, 't');
  q.query = {{"x", "1"}, {"y", "2"}};
  q.params = {{"id", "7"}};
  for (std::size_t i = 0; i < fields; ++i)
    q.headers.emplace_back("X-Field-" + std::to_string(i), std::string(40, 'v'));
  q.trailers = {{"X-Checksum", "abc"}};
  q.body = std::string(body_bytes, 'b');
  q.peer = "203.0.113.200:65535";
  q.version = 10;
  q.keep_alive = false;
  r.fn = std::make_shared<const fastactor::handler>([](fastactor::context&) {});
}

void require_new(const routed_request& r) {
  const auto& q = r.req;
  CHECK(q.method == fastactor::method::get);
  CHECK(q.other_method.empty());
  CHECK(q.target.empty());
  CHECK(q.path.empty());
  CHECK(q.query.empty());
  CHECK(q.params.empty());
  CHECK(q.headers.empty());
  CHECK(q.trailers.empty());
  CHECK(q.body.empty());
  CHECK(q.peer.empty());
  CHECK(q.version == 11);
  CHECK(q.keep_alive);
  CHECK(r.fn == nullptr);
}

}  // namespace

SCENARIO("a spent request comes back as a new one", "[recycling]") {
  GIVEN("a request with every member set, let go") {
    auto first = make_routed_request();
    fill_every_member(*first, 20, 100);
    auto handler = first->fn;
    const auto* address = first.get();
    auto kept_before = fastactor::kept_routed_requests();
    first.reset();
    THEN("it lets go of its handler at once") { CHECK(handler.use_count() == 1); }
    WHEN("the thread makes its next request") {
      auto next = make_routed_request();
      THEN("every member is as a new request's") { require_new(*next); }
      if (recycling()) {
        THEN("it is the spent one, its field list's room kept") {
          CHECK(fastactor::kept_routed_requests() == kept_before);
          CHECK(next.get() == address);
          CHECK(next->req.headers.capacity() >= 20);
        }
      }
    }
  }
  GIVEN("a request with more fields and a larger body than a spent one keeps room for") {
    auto first = make_routed_request();
    fill_every_member(*first, fastactor::fields_kept_max + 1, 64 * 1024);
    first.reset();
    WHEN("the thread makes its next request") {
      auto next = make_routed_request();
      THEN("it is new, and holds none of that room") {
        require_new(*next);
        CHECK(next->req.headers.capacity() <= fastactor::fields_kept_max);
        CHECK(next->req.body.capacity() <= 256);
      }
    }
  }
}

SCENARIO("a thread keeps a bounded number of spent requests", "[recycling]") {
  GIVEN("200 requests alive at once on one thread") {
    std::vector<std::shared_ptr<routed_request>> alive;
    for (int i = 0; i < 200; ++i) {
      alive.push_back(make_routed_request());
      fill_every_member(*alive.back(), 4, 10);
    }
    WHEN("all are let go") {
      alive.clear();
      THEN("the thread keeps 64 of them at most (none under AddressSanitizer)") {
        CHECK(fastactor::kept_routed_requests() == (recycling() ? 64u : 0u));
      }
      AND_WHEN("200 are made again") {
        for (int i = 0; i < 200; ++i)
          alive.push_back(make_routed_request());
        THEN("every one is new") {
          for (auto& r : alive)
            require_new(*r);
          CHECK(fastactor::kept_routed_requests() == 0);
        }
      }
    }
  }
}

SCENARIO("a request let go on another thread is kept by that thread", "[recycling]") {
  GIVEN("a request made on this thread") {
    auto r = make_routed_request();
    fill_every_member(*r, 3, 10);
    auto kept_here = fastactor::kept_routed_requests();
    WHEN("another thread lets it go, and ends") {
      std::size_t kept_there = 0;
      std::thread other{[&, moved = std::move(r)]() mutable {
        moved.reset();
        kept_there = fastactor::kept_routed_requests();
      }};
      other.join();
      THEN("that thread kept it, and this one's are as before") {
        CHECK(kept_there == (recycling() ? 1u : 0u));
        CHECK(fastactor::kept_routed_requests() == kept_here);
      }
    }
  }
}

SCENARIO("a thread keeps a bounded number of spare blocks", "[recycling]") {
  using namespace fastactor::spare_blocks;
  constexpr std::size_t size = 3000;  // no size the request path uses
  GIVEN("200 blocks of one size given back") {
    std::vector<void*> blocks;
    for (int i = 0; i < 200; ++i)
      blocks.push_back(take(size));
    for (auto* b : blocks)
      give(b, size);
    THEN("the thread keeps 128 of them at most (none under AddressSanitizer)") {
      CHECK(kept(size) == per_size_max());
      CHECK(per_size_max() == (recycling() ? 128u : 0u));
    }
    WHEN("one is taken") {
      auto* block = take(size);
      THEN("it is the last one kept: the 128th given back") {
        if (recycling())
          CHECK(block == blocks[per_size_max() - 1]);
        give(block, size);
      }
    }
    for (std::size_t i = 0; i < per_size_max(); ++i)
      ::operator delete(take(size));
    CHECK(kept(size) == 0);
  }
  GIVEN("more sizes than a thread keeps, on a thread of their own") {
    std::size_t kept_of_last = 1, kept_of_first = 0;
    std::thread other{[&] {
      for (std::size_t i = 0; i <= sizes_max; ++i)
        give(::operator new(64 + i * 8), 64 + i * 8);
      kept_of_first = kept(64);
      kept_of_last = kept(64 + sizes_max * 8);
    }};
    other.join();
    THEN("the sizes past the first sizes_max go back to the heap") {
      CHECK(kept_of_first == (recycling() ? 1u : 0u));
      CHECK(kept_of_last == 0);
    }
  }
}

SCENARIO("each request on a keep-alive connection is seen as it was sent", "[recycling]") {
  // What the handler saw: method, target, path, query and path parameters, header names
  // and body size. A member a spent request kept would show in a later line.
  auto echo = [](fastactor::context& ctx) {
    const auto& q = ctx.req();
    std::string out = std::string{q.method_name()} + " " + q.target + " " + q.path + " q"
      + std::to_string(q.query.size()) + " p" + std::to_string(q.params.size()) + " [";
    for (const auto& [name, value] : q.headers)
      out += name + "=" + value + ";";
    out += "] b" + std::to_string(q.body.size());
    ctx.write(out);
  };
  fastactor::router routes;
  routes.get("/echo", echo);
  routes.get("/item/:id", echo);
  routes.post("/echo", echo);
  test_server srv{routes};
  http_client c{srv.port()};
  GIVEN("a request with a body, a query and many fields, then smaller ones") {
    std::string fields;
    for (int i = 0; i < 20; ++i)
      fields += "X-F" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
    c.send("POST /echo?a=1&b=2&c=3 HTTP/1.1\r\nHost: h\r\n" + fields
           + "Content-Length: 5\r\n\r\nhello");
    auto first = c.read_response();
    auto second = c.get("/item/9");
    auto third = c.get("/echo", "X-Only: yes\r\n");
    THEN("each response names only what its own request carried") {
      REQUIRE(first.status == 200);
      CHECK(first.body.find("POST /echo?a=1&b=2&c=3 /echo q3 p0 [Host=h;X-F0=0;") == 0);
      CHECK(first.body.find("X-F19=19;Content-Length=5;] b5") != std::string::npos);
      CHECK(second.body == "GET /item/9 /item/9 q0 p1 [Host=127.0.0.1;] b0");
      CHECK(third.body == "GET /echo /echo q0 p0 [Host=127.0.0.1;X-Only=yes;] b0");
    }
  }
  GIVEN("the same requests pipelined in one segment") {
    std::string batch;
    for (int i = 0; i < 10; ++i)
      batch += (i % 2 ? "GET /echo HTTP/1.1\r\nHost: h\r\n\r\n"
                      : "GET /echo?i=" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nX-I: "
                          + std::to_string(i) + "\r\n\r\n");
    c.send(batch);
    THEN("each response names only what its own request carried") {
      for (int i = 0; i < 10; ++i) {
        auto r = c.read_response();
        if (i % 2)
          CHECK(r.body == "GET /echo /echo q0 p0 [Host=h;] b0");
        else
          CHECK(r.body
                == "GET /echo?i=" + std::to_string(i) + " /echo q1 p0 [Host=h;X-I="
                     + std::to_string(i) + ";] b0");
      }
    }
  }
}
