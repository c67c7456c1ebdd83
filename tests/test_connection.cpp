// HTTP/1.1 connection behaviour over real sockets: keep-alive, pipelining, HEAD, standard
// headers, 404/405, HTTP/1.0, and bad input.
#include "support/eventually.hpp"
#include "support/h2_client.hpp"
#include "support/http_client.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;

namespace {

/// The shared routes these scenarios exercise (tests/support/test_routes.hpp).
fastactor::router test_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  r.get("/concurrent/basic", shared_routes::concurrent_basic);
  r.get("/parallel/execute", shared_routes::parallel_execute);
  return r;
}

}  // namespace

SCENARIO("several requests share one keep-alive connection", "[connection]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  WHEN("three requests of different kinds follow each other") {
    auto a = c.get("/hello");
    auto b = c.get("/concurrent/basic");
    auto d = c.get("/hello");
    THEN("each gets its own complete response on the same connection") {
      CHECK(a.body == "ok");
      CHECK(b.complete);
      CHECK(b.body.size() == 5 * std::string("Worker 0 response\n").size());
      CHECK(d.body == "ok");
      CHECK(srv.stats().requests_total == 3);
      CHECK(srv.stats().live_connections == 1);
    }
  }
}

/// "GET /hello" with a padding header, `size` bytes in all.
std::string hello_request_of_size(std::size_t size) {
  const std::string head = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const std::string tail = "\r\n\r\n";
  REQUIRE(size > head.size() + tail.size());
  return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

// Between requests a plain connection waits by reading into a block (session::start_peek): a
// request that fits is read by it; one that fills it is read on, and the next read gets a
// larger block (256 bytes, then 1 KiB), or, past 1 KiB, a plain wait (4 KiB for a client that
// pipelines: tests/test_pipelining.cpp).
SCENARIO("a keep-alive client's requests are read whole, whatever their size and however they "
         "arrive",
         "[connection]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  REQUIRE(c.get("/hello").body == "ok");  // the connection now waits between requests
  auto small_reads = [&] { return srv.stats().small_reads_total.load(); };
  WHEN("a small request comes") {
    auto before = small_reads();
    auto body = c.get("/hello").body;
    THEN("the waiting read took it whole") {
      CHECK(body == "ok");
      CHECK(small_reads() == before + 1);
    }
  }
  WHEN("a request below, at or above the block's size comes, then a small one") {
    auto size = GENERATE(std::size_t{255}, std::size_t{256}, std::size_t{257}, std::size_t{1000},
                         std::size_t{6000});
    c.send(hello_request_of_size(size));
    auto first = c.read_response().body;
    auto second = c.get("/hello").body;
    THEN("both are answered, on the one connection") {
      INFO("request of " << size << " bytes");
      CHECK(first == "ok");
      CHECK(second == "ok");
      CHECK(srv.stats().requests_total == 3);
      CHECK(srv.stats().live_connections == 1);
    }
  }
  WHEN("a request arrives in two pieces, 50 ms apart") {
    auto cut = GENERATE(std::size_t{10}, std::size_t{256});
    auto request = hello_request_of_size(400);
    c.send(request.substr(0, cut));
    std::this_thread::sleep_for(50ms);
    c.send(request.substr(cut));
    THEN("it is answered once whole") {
      INFO("cut after " << cut << " bytes");
      CHECK(c.read_response().body == "ok");
    }
  }
  WHEN("two requests arrive together while the connection waits") {
    c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    auto first = c.read_response();
    auto second = c.read_response();
    THEN("both are answered") {
      CHECK(first.body == "ok");
      CHECK(second.body == "ok");
    }
  }
  WHEN("the client leaves while the connection waits") {
    c.close();
    THEN("the server closes it") {
      CHECK(eventually([&] { return srv.stats().live_connections == 0; }));
    }
  }
}

SCENARIO("the block a keep-alive connection waits with grows with its client's requests",
         "[connection]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  REQUIRE(c.get("/hello").body == "ok");  // the connection now waits between requests
  auto small_reads = [&] { return srv.stats().small_reads_total.load(); };
  WHEN("a client sends five requests of the same size, one at a time") {
    // size, and how many of the five are not taken whole: they fill the 256-byte block first,
    // then 1 KiB, past which a client that does not pipeline is awaited with plain waits.
    auto [size, filled] = GENERATE(table<std::size_t, std::uint64_t>(
      {{200, 0}, {500, 1}, {1000, 1}, {1024, 5}, {2000, 5}, {6000, 5}}));
    INFO("requests of " << size << " bytes");
    auto before = small_reads();
    std::vector<std::string> bodies;
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(20ms);  // the read the connection waits with is pending
      c.send(hello_request_of_size(size));
      bodies.push_back(c.read_response().body);
    }
    THEN("each is answered; those that fit the grown block are taken whole by its read") {
      CHECK(bodies == std::vector<std::string>(5, "ok"));
      CHECK(small_reads() - before == 5 - filled);
      CHECK(srv.stats().live_connections == 1);
    }
  }
  WHEN("a client whose requests grew the block to 1 KiB leaves while the connection waits") {
    c.send(hello_request_of_size(500));  // fills 256 bytes: the next wait takes 1 KiB
    REQUIRE(c.read_response().body == "ok");
    REQUIRE(c.get("/hello").body == "ok");
    std::this_thread::sleep_for(20ms);  // the read into 1 KiB is pending
    c.close();
    THEN("the server closes it (ASan: the block is freed once)") {
      CHECK(eventually([&] { return srv.stats().live_connections == 0; }));
    }
  }
}

SCENARIO("an HTTP/2 client that speaks only after a pause is heard", "[connection][http2]") {
  test_server srv{test_routes()};
  GIVEN("a connection whose preface comes 50 ms after it opened") {
    h2_raw client{srv.port()};
    std::this_thread::sleep_for(50ms);  // the connection waits: its small read is pending
    WHEN("the preface and SETTINGS arrive") {
      bool settled = client.handshake();
      THEN("the server answers in HTTP/2") {
        CHECK(settled);
      }
    }
  }
}

SCENARIO("pipelined requests are answered in order", "[connection]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  GIVEN("a slow request followed at once by two fast ones") {
    c.send("GET /parallel/execute HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET /stream?n=3&size=2 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto first = c.read_response();
    auto second = c.read_response();
    auto third = c.read_response();
    THEN("the responses come back in request order") {
      CHECK(first.body == "Task 1 completed\nTask 2 completed\n");
      CHECK(second.body == "ok");
      CHECK(third.body == "aabbcc");
    }
  }
}

SCENARIO("responses carry Date and Server headers", "[connection]") {
  test_server srv{test_routes()};
  auto r = http_get(srv.port(), "/hello");
  CHECK(r.header("server") == "fastactor");
  CHECK(r.header("date").size() == 29);  // "Sun, 06 Nov 1994 08:49:37 GMT"
  CHECK(r.header("date").substr(25) == " GMT");
}

SCENARIO("HEAD answers with the GET headers and no body", "[connection]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = c.read_response(true);
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == "2");
  AND_THEN("the connection is still usable: no stray body bytes precede the next response") {
    auto next = c.get("/hello");
    CHECK(next.status == 200);
    CHECK(next.body == "ok");
  }
}

SCENARIO("unknown paths get 404, wrong methods 405 with Allow", "[connection]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  auto missing = c.get("/no/such/thing");
  CHECK(missing.status == 404);
  CHECK(nlohmann::json::parse(missing.body)["errors"][0]["message"]
        == "no route for /no/such/thing");
  c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  auto wrong = c.read_response();
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET, HEAD");
  AND_THEN("the connection survives both") {
    CHECK(c.get("/hello").body == "ok");
  }
}

SCENARIO("query parameters and paths are percent-decoded", "[connection]") {
  fastactor::router r;
  r.get("/echo/:word", [](fastactor::context& ctx) {
    ctx.write(std::string{*ctx.req().path_param("word")} + "|"
              + std::string{ctx.req().query_param("q").value_or("-")});
  });
  test_server srv{std::move(r)};
  auto resp = http_get(srv.port(), "/echo/h%C3%A9llo?q=a%20b%26c");
  CHECK(resp.status == 200);
  CHECK(resp.body == "h\xC3\xA9llo|a b&c");
}

SCENARIO("HTTP/1.0 clients get a body they can read without chunking", "[connection]") {
  test_server srv{test_routes()};
  GIVEN("a complete response") {
    http_client c{srv.port()};
    c.send("GET /hello HTTP/1.0\r\n\r\n");
    auto r = c.read_response();
    THEN("Content-Length, and the connection closes") {
      CHECK(r.body == "ok");
      CHECK(r.header("connection") == "close");
      CHECK(c.closed_by_peer());
    }
  }
  GIVEN("a streamed response") {
    http_client c{srv.port()};
    c.send("GET /stream?n=3&size=2 HTTP/1.0\r\n\r\n");
    auto r = c.read_response();
    THEN("no chunked coding: the body ends with the connection") {
      CHECK_FALSE(r.chunked);
      CHECK(r.body == "aabbcc");
    }
  }
}

SCENARIO("a malformed request gets 400 and the connection closes, others are unaffected",
         "[connection][bad-input]") {
  test_server srv{test_routes()};
  http_client bystander{srv.port()};
  http_client c{srv.port()};
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.read_response();
  CHECK(r.status == 400);
  CHECK(r.body.find("malformed request") != std::string::npos);
  CHECK(c.closed_by_peer());
  CHECK(bystander.get("/hello").body == "ok");
}

SCENARIO("a request with a header block over the limit gets 431", "[connection][bad-input]") {
  test_server srv{test_routes()};
  http_client c{srv.port()};
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10000, 'x') + "\r\n\r\n");
  auto r = c.read_response();
  CHECK(r.status == 431);
  CHECK(http_get(srv.port(), "/hello").body == "ok");
}

SCENARIO("each I/O thread serves connections of its own, handed out in turn", "[connection]") {
  // Each I/O thread runs an io_context of its own, which orders its connections' handlers
  // (server/io_executor.hpp): a connection stays on the thread it was given, and a writer
  // (with its handlers) runs on its connection's thread.
  std::mutex mtx;
  std::map<std::string, std::vector<std::thread::id>> ran_on;  // by connection
  fastactor::router routes;
  routes.get("/where", [&](fastactor::context& ctx) {
    std::lock_guard<std::mutex> lock{mtx};
    ran_on[std::string{ctx.req().query_param("c").value_or("?")}].push_back(
      std::this_thread::get_id());
    ctx.write("ok");
  });
  constexpr int threads = 3;
  auto cfg = test_server::default_config();
  cfg.io_threads = threads;
  test_server srv{std::move(routes), cfg};
  GIVEN("six connections open at once (accepted in the order they connected)") {
    std::vector<std::unique_ptr<http_client>> clients;
    for (int c = 0; c < 2 * threads; ++c)
      clients.push_back(std::make_unique<http_client>(srv.port()));
    WHEN("each sends three requests, in turns") {
      for (int round = 0; round < 3; ++round)
        for (int c = 0; c < 2 * threads; ++c)
          REQUIRE(clients[c]->get("/where?c=" + std::to_string(c)).body == "ok");
      std::lock_guard<std::mutex> lock{mtx};
      REQUIRE(ran_on.size() == 2 * threads);
      auto thread_of = [&](int c) { return ran_on.at(std::to_string(c)).front(); };
      THEN("a connection's requests all ran on one thread") {
        for (auto& [conn, ids] : ran_on) {
          REQUIRE(ids.size() == 3);
          CHECK(ids[1] == ids[0]);
          CHECK(ids[2] == ids[0]);
        }
      }
      AND_THEN("the three threads took two connections each, in turn") {
        std::set<std::thread::id> distinct;
        for (int c = 0; c < threads; ++c) {
          distinct.insert(thread_of(c));
          CHECK(thread_of(c + threads) == thread_of(c));
        }
        CHECK(distinct.size() == threads);
      }
    }
  }
}

SCENARIO("several I/O threads serve many connections at once", "[connection]") {
  // Each I/O thread's io_context orders its connections' handlers; a connection's writer
  // runs on its thread.
  auto cfg = test_server::default_config();
  cfg.io_threads = 4;
  test_server srv{test_routes(), cfg};
  WHEN("16 clients each send keep-alive requests, short and streamed, at the same time") {
    std::vector<std::future<int>> clients;
    for (int i = 0; i < 16; ++i)
      clients.push_back(std::async(std::launch::async, [port = srv.port()] {
        http_client c{port};
        int good = 0;
        for (int r = 0; r < 20; ++r) {
          auto hello = c.get("/hello");
          auto stream = c.get("/stream?n=8&size=100");
          good += hello.status == 200 && hello.body == "ok" && stream.complete
            && stream.body.size() == 800;
        }
        return good;
      }));
    int good = 0;
    for (auto& f : clients)
      good += f.get();
    THEN("every response is complete and correct") {
      CHECK(good == 16 * 20);
      CHECK(srv.stats().requests_total == 16 * 20 * 2);
    }
  }
}
