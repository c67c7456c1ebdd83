// Bounded memory per response: a slow client slows a flow-controlled producer down (the
// writer holds back its acknowledgements), and a producer without flow control that outruns
// the client hits the hard cap: the response fails and the connection closes.
#include "support/http_client.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

/// The shared routes these scenarios exercise (tests/support/test_routes.hpp).
fastactor::router test_routes() {
  fastactor::router r;
  r.get("/stream", shared_routes::stream);
  return r;
}

}  // namespace

SCENARIO("a slow reader pauses a fast producer and memory stays bounded", "[flow]") {
  auto cfg = test_server::default_config();
  cfg.stream_buffer = 64 * 1024;
  test_server srv{test_routes(), cfg};
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

}  // namespace

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

namespace {

/// A worker that writes `total` bytes in 64 KiB writes with flow control, 4 in flight.
struct paced_writer_state {
  std::size_t sent = 0, acked = 0;
  static inline const char* name = "test.paced_writer";
};

constexpr std::size_t paced_piece = 64 * 1024;

caf::behavior paced_writer(caf::stateful_actor<paced_writer_state>* self,
                           fastactor::response_handle out, std::size_t total) {
  auto send_one = [self, out, total] {
    std::size_t n = std::min(paced_piece, total - self->state.sent);
    self->state.sent += n;
    out.write_acked(self, std::string(n, 'b')).then([self, out, total, n](fastactor::ack_atom) {
      self->state.acked += n;
      if (self->state.acked == total)
        return self->quit();
      if (self->state.sent < total)
        self->send(self, 1);
    });
  };
  for (int i = 0; i < 4 && self->state.sent < total; ++i)
    send_one();
  return {[=](int) { send_one(); }};
}

fastactor::router paced_routes() {
  auto r = test_routes();
  r.get("/buffered-big", [](fastactor::context& ctx) {
    ctx.buffer_response();
    ctx.spawn(paced_writer, std::size_t{2 * 1024 * 1024});
  });
  r.get("/task-export", [](fastactor::context& ctx) {
    // The guide's export example: a blocking task writing much, with flow control.
    ctx.go([](fastactor::task_context& t) {
      for (int i = 0; i < 256; ++i)
        if (!t.write_acked(std::string(32 * 1024, 'r')))
          return;
    });
  });
  return r;
}

}  // namespace

SCENARIO("a buffered response keeps flow control and goes out chunked when it outgrows the "
         "buffer",
         "[flow]") {
  test_server srv{paced_routes()};
  auto r = http_get(srv.port(), "/buffered-big");
  THEN("every byte arrives, chunked instead of failing at the cap") {
    CHECK(r.status == 200);
    CHECK(r.complete);
    CHECK(r.chunked);
    CHECK(r.body.size() == 2 * 1024 * 1024);
  }
}

SCENARIO("a blocking task's write_acked waits for a slow client", "[flow]") {
  auto cfg = test_server::default_config();
  cfg.stream_buffer = 64 * 1024;
  test_server srv{paced_routes(), cfg};
  GIVEN("8 MiB from a task, read slowly through a small receive buffer") {
    http_client c{srv.port(), 10s, 4096};
    c.send_get("/task-export");
    std::int64_t most_held = 0;
    for (int i = 0; i < 20; ++i) {
      REQUIRE(c.read_some(1024, 200ms) >= 0);
      most_held = std::max<std::int64_t>(most_held, srv.stats().queued_response_bytes);
      std::this_thread::sleep_for(50ms);
    }
    THEN("the server holds about the high-water mark, not the whole export") {
      CHECK(srv.stats().running_tasks == 1);
      CHECK(most_held < 1024 * 1024);
    }
    WHEN("the client leaves") {
      c.close();
      THEN("write_acked returns false and the task ends") {
        CHECK(srv.idle(5s));
        CHECK(srv.stats().queued_response_bytes == 0);
      }
    }
  }
  GIVEN("a client that reads everything") {
    auto r = http_get(srv.port(), "/task-export");
    THEN("all of it arrives") {
      CHECK(r.complete);
      CHECK(r.body.size() == 256 * 32 * 1024);
    }
  }
}
