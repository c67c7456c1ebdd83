// Bounded memory per response: a slow client slows a flow-controlled producer down (the
// writer holds back its acknowledgements), and a producer without flow control that outruns
// the client hits the hard cap: the response fails and the connection closes.
#include "demo_routes.hpp"
#include "fastactor.hpp"
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

using namespace testing;
using namespace std::chrono_literals;

SCENARIO("a slow reader pauses a fast producer and memory stays bounded", "[flow]") {
  auto cfg = test_server::default_config();
  cfg.stream_buffer = 64 * 1024;
  test_server srv{demo::routes(), cfg};
  auto rss_before = resident_kib();
  GIVEN("a 1.6 GB stream read at about 10 KiB/s through a small receive buffer") {
    http_client c{srv.port(), 10s, 4096};
    c.send_get("/stream?n=100000&size=16384");
    std::size_t received = 0;
    for (int i = 0; i < 30; ++i) {
      auto n = c.read_some(1024, 200ms);
      REQUIRE(n >= 0);
      received += static_cast<std::size_t>(n);
      std::this_thread::sleep_for(100ms);
    }
    THEN("the producer waited for acknowledgements and is still alive, not finished") {
      CHECK(srv.stats().backpressure_waits_total > 0);
      CHECK(srv.stats().live_workers == 1);
      CHECK(srv.stats().stream_bytes_total < 64u * 1024 * 1024);
    }
    THEN("the server's memory grew by far less than the stream") {
      auto grown_kib = resident_kib() - rss_before;
      INFO("RSS grew by " << grown_kib << " KiB, received " << received << " bytes");
      CHECK(grown_kib < 48 * 1024);  // the stream is 1.6 GB
    }
    c.close();
    CHECK(srv.idle());
  }
}

namespace {

/// Writes `chunks` chunks of `size` bytes as fast as it can, without flow control.
void flooder(caf::event_based_actor* self, fastactor::response_handle out, int chunks,
             std::size_t size) {
  std::string chunk(size, 'f');
  for (int i = 0; i < chunks; ++i)
    out.write(self, chunk);
}

} // namespace

SCENARIO("a producer without flow control hits the hard cap", "[flow]") {
  auto cfg = test_server::default_config();
  cfg.stream_buffer = 64 * 1024;
  cfg.stream_buffer_max = 4 * 1024 * 1024;
  fastactor::router r;
  r.get("/flood", [](fastactor::context& ctx) { ctx.spawn(flooder, 1000, std::size_t{32768}); });
  test_server srv{std::move(r), cfg};
  GIVEN("a client that does not read while 32 MB are written at it") {
    http_client c{srv.port(), 10s, 4096};
    c.send_get("/flood");
    std::this_thread::sleep_for(500ms);
    THEN("the response fails with an error and the connection is cut off") {
      CHECK(srv.server().wait_for([](auto& s) { return s.worker_errors_total >= 1; }, 5s));
      auto r = c.read_response();
      CHECK_FALSE(r.complete);
      CHECK(srv.idle());
    }
  }
}
