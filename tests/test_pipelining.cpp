// Pipelined HTTP/1.1 requests over real sockets: the responses to a batch of pipelined
// requests go out together (the session holds a complete response back while the next
// request waits whole in its buffer; server/session.cpp, may_hold_back), in request order and
// with intact framing, and what is held is bounded, flushed when a response must wait for a
// producer, guarded by the send deadline, and dropped when the client leaves.
#include "server/held_responses.hpp"
#include "server/request_reader.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/joined.hpp"
#include "support/memory.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace testing;
using namespace std::chrono_literals;

namespace {

fastactor::router pipelining_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  r.get("/n/:i", [](fastactor::context& ctx) {  // a response of its own per request
    ctx.write("n=" + std::string{*ctx.req().path_param("i")});
  });
  r.get("/big", [](fastactor::context& ctx) { ctx.write(std::string(8 * 1024, 'b')); });
  r.get("/tag", [](fastactor::context& ctx) {  // what it was sent: its tag and field count
    ctx.write(std::string{ctx.req().header("X-Tag").value_or("none")} + "/"
              + std::to_string(ctx.req().headers.size()));
  });
  r.get("/slow", [](fastactor::context& ctx) {  // answered by a blocking task, 300 ms later
    ctx.go([](fastactor::task_context& t) {
      std::this_thread::sleep_for(300ms);
      t.write("slow");
    });
  });
  return r;
}

std::string get_line(const std::string& target, const std::string& fields = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n";
}

/// Whole Content-Length responses at the front of `in` (status, body), removed from it.
std::vector<std::pair<int, std::string>> take_responses(std::string& in) {
  std::vector<std::pair<int, std::string>> out;
  for (;;) {
    auto end = in.find("\r\n\r\n");
    if (end == std::string::npos)
      return out;
    auto head = in.substr(0, end);
    auto cl = head.find("Content-Length: ");
    REQUIRE(cl != std::string::npos);
    auto length = std::stoul(head.substr(cl + 16));
    if (in.size() < end + 4 + length)
      return out;
    out.emplace_back(std::stoi(head.substr(9, 3)), in.substr(end + 4, length));
    in.erase(0, end + 4 + length);
  }
}

/// A plain TCP client that counts its reads.
struct counting_client {
  explicit counting_client(std::uint16_t port, int receive_buffer = 0)
    : fd(connect_loopback(port, receive_buffer)) {}
  ~counting_client() { close(); }
  void close() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  bool send_all(const std::string& bytes) {
    return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL)
      == static_cast<ssize_t>(bytes.size());
  }
  /// Reads until `n` whole responses arrived (or `wait` passed without a byte).
  std::vector<std::pair<int, std::string>> read_responses(std::size_t n,
                                                          std::chrono::milliseconds wait = 5s) {
    std::vector<std::pair<int, std::string>> got;
    while (got.size() < n) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0)
        break;
      char buf[65536];
      auto k = ::recv(fd, buf, sizeof(buf), 0);
      if (k <= 0)
        break;
      ++reads;
      in.append(buf, static_cast<std::size_t>(k));
      for (auto& r : take_responses(in))
        got.push_back(std::move(r));
    }
    return got;
  }
  int fd;
  int reads = 0;
  std::string in;
};

/// `count` requests for /n/first… of `each` bytes (a padding field fills them), in one write.
std::string padded_batch(std::size_t first, std::size_t count, std::size_t each) {
  std::string batch;
  for (auto i = first; i < first + count; ++i) {
    auto request = get_line("/n/" + std::to_string(i), "X-Pad: \r\n");
    REQUIRE(each >= request.size());
    request.insert(request.size() - 4, each - request.size(), 'p');  // into X-Pad's value
    batch += request;
  }
  return batch;
}

std::vector<std::pair<int, std::string>> numbered(std::size_t first, std::size_t count) {
  std::vector<std::pair<int, std::string>> out;
  for (auto i = first; i < first + count; ++i)
    out.emplace_back(200, "n=" + std::to_string(i));
  return out;
}

}  // namespace

SCENARIO("16 pipelined requests in one segment are answered in order, in one write",
         "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  counting_client c{srv.port()};
  REQUIRE(c.send_all(get_line("/hello")));  // warm: the connection is set up
  REQUIRE(c.read_responses(1).size() == 1);
  auto coalesced_before = srv.stats().coalesced_responses_total.load();
  c.reads = 0;
  WHEN("a client sends 16 requests, each with a response of its own, in one send") {
    std::string batch;
    for (int i = 0; i < 16; ++i)
      batch += get_line("/n/" + std::to_string(i));
    REQUIRE(c.send_all(batch));
    auto got = c.read_responses(16);
    THEN("all 16 are answered, in request order") {
      REQUIRE(got.size() == 16);
      for (int i = 0; i < 16; ++i) {
        CHECK(got[i].first == 200);
        CHECK(got[i].second == "n=" + std::to_string(i));
      }
      CHECK(c.in.empty());  // not a byte more
    }
    AND_THEN("they arrive together: 15 held back for the 16th's write, one read or two") {
      CHECK(srv.stats().coalesced_responses_total - coalesced_before == 15);
      CHECK(c.reads <= 2);
      INFO("reads: " << c.reads);
    }
    AND_THEN("the connection goes on") {
      REQUIRE(c.send_all(get_line("/hello")));
      auto next = c.read_responses(1);
      REQUIRE(next.size() == 1);
      CHECK(next[0].second == "ok");
    }
  }
  WHEN("it sends 40 in one send") {
    std::string batch;
    for (int i = 0; i < 40; ++i)
      batch += get_line("/n/" + std::to_string(i));
    REQUIRE(c.send_all(batch));
    auto got = c.read_responses(40);
    THEN("all 40 come in order, at most 16 to a write: 15 + 15 + 7 held back") {
      REQUIRE(got.size() == 40);
      for (int i = 0; i < 40; ++i)
        CHECK(got[i].second == "n=" + std::to_string(i));
      CHECK(srv.stats().coalesced_responses_total - coalesced_before == 15 + 15 + 7);
    }
  }
  WHEN("it sends 16 requests for 8 KiB each") {
    std::string batch;
    for (int i = 0; i < 16; ++i)
      batch += get_line("/big");
    REQUIRE(c.send_all(batch));
    auto got = c.read_responses(16);
    THEN("all 16 arrive whole, and no more than 64 KiB was held: 7 of each 8 held back") {
      REQUIRE(got.size() == 16);
      for (auto& r : got)
        CHECK(r.second == std::string(8 * 1024, 'b'));
      // An 8 KiB response with its head is a little over 8 KiB: seven fit under 64 KiB, the
      // eighth goes out with them.
      CHECK(srv.stats().coalesced_responses_total - coalesced_before == 14);
    }
  }
}

// Between batches a pipelining client's connection waits with a read into a block that grows
// with what its reads brought, to 4 KiB (session::start_peek): a batch up to 4 KiB is then
// taken whole by that read, where a plain wait would cost an epoll_ctl more.
SCENARIO("a pipelining client's batches are read whole by the read it waits with",
         "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  counting_client c{srv.port()};
  auto small_reads = [&] { return srv.stats().small_reads_total.load(); };
  GIVEN("a client that sent two requests in one write, and has their answers") {
    REQUIRE(c.send_all(padded_batch(0, 2, 100)));
    REQUIRE(c.read_responses(2) == numbered(0, 2));
    WHEN("five batches come while the connection waits, below, at and above 4 KiB") {
      auto [count, each] = GENERATE(table<std::size_t, std::size_t>(
        {{10, 100}, {3, 1000}, {16, 256}, {17, 241}, {12, 500}, {4, 3000}}));
      INFO(count << " requests of " << each << " bytes");
      std::vector<std::pair<int, std::string>> answers;
      std::uint64_t reads_before_last_two = 0;
      for (std::size_t round = 0; round < 5; ++round) {
        if (round == 3)
          reads_before_last_two = small_reads();
        std::this_thread::sleep_for(50ms);  // the read the connection waits with is pending
        REQUIRE(c.send_all(padded_batch(2 + round * count, count, each)));
        for (auto& answer : c.read_responses(count))
          answers.push_back(std::move(answer));
      }
      THEN("every request is answered, in order, on the one connection") {
        CHECK(answers == numbered(2, 5 * count));
        CHECK(srv.stats().live_connections == 1);
        AND_THEN("once the block grew, a batch below 4 KiB was taken whole by that read") {
          if (count * each < fastactor::read_size)
            CHECK(small_reads() == reads_before_last_two + 2);
        }
      }
    }
  }
}

SCENARIO("a client that starts to pipeline after its requests outgrew 1 KiB gets the 4 KiB block",
         "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  counting_client c{srv.port()};
  auto small_reads = [&] { return srv.stats().small_reads_total.load(); };
  GIVEN("a client whose single requests of 1,500 bytes filled 256 bytes, then 1 KiB") {
    // The first is read with the connection; the second fills 256 bytes, the third 1 KiB, so
    // the next request of a client that does not pipeline is awaited with a plain wait.
    for (std::size_t i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(20ms);
      REQUIRE(c.send_all(padded_batch(i, 1, 1500)));
      REQUIRE(c.read_responses(1) == numbered(i, 1));
    }
    WHEN("it sends batches of three 1,000-byte requests") {
      std::vector<std::pair<int, std::string>> answers;
      std::uint64_t reads_before_last = 0;
      for (std::size_t round = 0; round < 3; ++round) {
        if (round == 2)
          reads_before_last = small_reads();
        std::this_thread::sleep_for(20ms);
        REQUIRE(c.send_all(padded_batch(3 + 3 * round, 3, 1000)));
        for (auto& answer : c.read_responses(3))
          answers.push_back(std::move(answer));
      }
      THEN("all are answered, and once it pipelined, a batch was taken whole by 4 KiB") {
        CHECK(answers == numbered(3, 9));
        CHECK(small_reads() == reads_before_last + 1);
      }
    }
  }
}

SCENARIO("a connection waiting with a 4 KiB block closes as any other",
         "[connection][pipelining]") {
  auto cfg = test_server::default_config();
  cfg.idle_timeout_ms = 300;
  test_server srv{pipelining_routes(), cfg};
  counting_client c{srv.port()};
  GIVEN("a pipelining client whose batches of 3,000 bytes grew the block to 4 KiB") {
    REQUIRE(c.send_all(padded_batch(0, 2, 100)));
    REQUIRE(c.read_responses(2) == numbered(0, 2));
    for (std::size_t round = 0; round < 3; ++round) {  // they fill 256 bytes, then 1 KiB
      REQUIRE(c.send_all(padded_batch(2 + 3 * round, 3, 1000)));
      REQUIRE(c.read_responses(3) == numbered(2 + 3 * round, 3));
    }
    auto reads = srv.stats().small_reads_total.load();
    REQUIRE(c.send_all(padded_batch(11, 3, 1000)));
    REQUIRE(c.read_responses(3) == numbered(11, 3));
    REQUIRE(srv.stats().small_reads_total == reads + 1);  // taken whole: the block is 4 KiB
    WHEN("the client leaves while that read is pending") {
      std::this_thread::sleep_for(20ms);
      c.close();
      THEN("the server closes the connection (ASan: the block is freed once)") {
        CHECK(eventually([&] { return srv.stats().live_connections == 0; }));
      }
    }
    WHEN("the client stays silent past the idle deadline") {
      THEN("the server closes the connection") {
        CHECK(c.read_responses(1, 3s).empty());
        CHECK(eventually([&] { return srv.stats().live_connections == 0; }));
      }
    }
  }
}

SCENARIO("pipelined requests each get their own fields, however many they carry",
         "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  counting_client c{srv.port()};
  WHEN("a batch mixes small requests with ones carrying many fields or a long one") {
    // The session makes each pipelined request's parser in the last one's block
    // (incoming_request::restart): a field left over from the request before would show here
    // as a wrong tag or count.
    std::string many;
    for (int i = 0; i < 30; ++i)
      many += "X-Field-" + std::to_string(i) + ": " + std::string(40, 'f') + "\r\n";
    std::string cookie = "Cookie: " + std::string(2000, 'c') + "\r\n";
    std::string batch = get_line("/tag", "X-Tag: one\r\n")
      + get_line("/tag", many + "X-Tag: two\r\n") + get_line("/tag")
      + get_line("/tag", cookie + "X-Tag: four\r\n") + get_line("/tag", "X-Tag: five\r\n");
    REQUIRE(c.send_all(batch));
    auto got = c.read_responses(5);
    THEN("each answer names its own request's tag and number of fields") {
      REQUIRE(got.size() == 5);
      CHECK(got[0].second == "one/2");
      CHECK(got[1].second == "two/32");
      CHECK(got[2].second == "none/1");
      CHECK(got[3].second == "four/3");
      CHECK(got[4].second == "five/2");
    }
  }
}

SCENARIO("1,000 pipelined requests are answered in order, one after the other",
         "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  counting_client c{srv.port()};
  WHEN("a client sends 1,000 requests in one send (about 60 KiB, read 4 KiB at a time)") {
    // Each read brings about 70 requests: the writer answers them one after the other
    // (session::writer_turn_ended), 64 at once and then one posted behind the other
    // connections, and the next read brings more.
    std::string batch;
    for (int i = 0; i < 1000; ++i)
      batch += get_line("/n/" + std::to_string(i));
    REQUIRE(c.send_all(batch));
    auto got = c.read_responses(1000, 10s);
    THEN("all 1,000 are answered, each once, in request order") {
      REQUIRE(got.size() == 1000);
      int out_of_order = 0;
      for (int i = 0; i < 1000; ++i)
        out_of_order += got[i].second == "n=" + std::to_string(i) ? 0 : 1;
      CHECK(out_of_order == 0);
      CHECK(c.in.empty());
    }
    AND_THEN("the connection goes on, and so does the server for another client") {
      auto other = http_get(srv.port(), "/hello");
      CHECK(other.status == 200);
      REQUIRE(c.send_all(get_line("/hello")));
      auto next = c.read_responses(1);
      REQUIRE(next.size() == 1);
      CHECK(next[0].second == "ok");
    }
  }
}

namespace {

/// Routes to see whether a pipelining client lets another connection have the I/O thread.
struct fairness_probe {
  std::atomic<int> spins{0};  ///< /spin requests answered
  std::atomic<int> spins_at_tick{-1};  ///< how many had been answered when /tick was

  fastactor::router routes() {
    fastactor::router r;
    r.get("/hello", [](fastactor::context& ctx) { ctx.write("ok"); });
    r.get("/tick", [this](fastactor::context& ctx) {
      spins_at_tick = spins.load();
      ctx.write("t");
    });
    r.get("/spin", [this](fastactor::context& ctx) {  // 100 us of the I/O thread
      auto until = std::chrono::steady_clock::now() + 100us;
      while (std::chrono::steady_clock::now() < until) {
      }
      ++spins;
      ctx.write("s");
    });
    // 2 MiB compressed in 32 KiB slices, yielding between them (after_others): its last
    // write, and the pipelined request read after it, happen in a turn run inside a
    // connection_turn.
    r.get("/coded", [](fastactor::context& ctx) {
      ctx.set_compression(fastactor::compression::on);
      ctx.spawn([](caf::event_based_actor* self, fastactor::response_handle out) {
        std::string text;
        for (int i = 0; text.size() < 2 * 1024 * 1024; ++i)
          text += "{\"id\":" + std::to_string(i) + ",\"event\":\"view\"}\n";
        out.write(self, std::move(text));
      });
    });
    return r;
  }
};

}  // namespace

SCENARIO("a pipelining client lets the other connections have the I/O thread every 64 requests",
         "[connection][pipelining]") {
  auto first = GENERATE(std::string{"/hello"}, std::string{"/coded"});
  // One thread: both connections share it (the default, said here). Two: the pipelining
  // client, the server's first connection, has the first thread, which also accepts every
  // connection (docs/design-notes.md, "One io_context per I/O thread"): the other client is
  // accepted there, in one of its turns, and served on the second.
  std::size_t io_threads = GENERATE(1, 2);
  fairness_probe probe;
  auto cfg = test_server::default_config();
  cfg.io_threads = io_threads;
  test_server srv{probe.routes(), cfg};
  GIVEN(std::to_string(io_threads)
        + " I/O thread(s), a client that pipelines 2,500 requests "
          "of 100 us each after "
        + first) {
    // 2,500 requests are more than the 64 KiB a connection buffers: the watch stops meanwhile,
    // and the first pipelined request is read inside the writer's turn.
    std::string batch = get_line(first, "Accept-Encoding: zstd\r\n");
    for (int i = 0; i < 2500; ++i)
      batch += get_line("/spin");
    counting_client a{srv.port()};
    REQUIRE(a.send_all(batch));
    REQUIRE(eventually([&] { return probe.spins >= 100; }, 20s));
    WHEN("another client asks for /tick meanwhile") {
      http_client b{srv.port()};
      auto tick = b.get("/tick");
      THEN("it is answered after at most a few turns of 64, not after the whole buffer") {
        CHECK(tick.status == 200);
        auto at = probe.spins_at_tick.load();
        INFO("/spin answered when /tick was: " << at);
        CHECK(at >= 100);
        CHECK(at < 100 + 1000);  // the buffer holds about 1,600 of them
      }
    }
    // Reads A's responses (a chunked one among them: not parsed) until every /spin ran.
    for (auto until = std::chrono::steady_clock::now() + 20s;
         probe.spins < 2500 && std::chrono::steady_clock::now() < until;) {
      pollfd p{a.fd, POLLIN, 0};
      char buf[65536];
      if (::poll(&p, 1, 50) > 0 && ::recv(a.fd, buf, sizeof(buf), 0) <= 0)
        break;
    }
    CHECK(probe.spins == 2500);
  }
}

SCENARIO("a pipelined batch mixing a stream, a 404 and HEAD keeps order and framing",
         "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  http_client c{srv.port()};
  c.send(get_line("/hello") + get_line("/stream?n=3&size=2") + get_line("/no/such/thing")
         + "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n" + get_line("/n/1")
         + "HEAD /no/such/thing HTTP/1.1\r\nHost: x\r\n\r\n" + get_line("/stream?n=2&size=3")
         + get_line("/n/2"));
  auto hello = c.read_response();
  auto stream = c.read_response();
  auto missing = c.read_response();
  auto head = c.read_response(true);
  auto one = c.read_response();
  auto head_missing = c.read_response(true);
  auto stream2 = c.read_response();
  auto two = c.read_response();
  THEN("each response is whole, in request order, with its own framing") {
    CHECK(hello.status == 200);
    CHECK(hello.body == "ok");
    CHECK(stream.status == 200);
    CHECK(stream.chunked);
    CHECK(stream.complete);
    CHECK(stream.body == "aabbcc");
    CHECK(missing.status == 404);
    CHECK(missing.header("content-type") == "application/json");
    CHECK(head.status == 200);
    CHECK(head.header("content-length") == "2");
    CHECK(head.body.empty());
    CHECK(one.body == "n=1");
    CHECK(head_missing.status == 404);
    CHECK(head_missing.body.empty());
    CHECK(stream2.chunked);
    CHECK(stream2.body == "aaabbb");
    CHECK(two.body == "n=2");
    CHECK(srv.stats().requests_total == 8);
  }
  AND_THEN("nothing stray follows, and the connection goes on") {
    CHECK(c.read_available(200ms).empty());
    CHECK(c.get("/hello").body == "ok");
  }
  AND_THEN("the whole responses before each stream and between them were held back") {
    CHECK(srv.stats().coalesced_responses_total >= 2);
  }
}

SCENARIO("held responses do not wait for a producer", "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  http_client c{srv.port()};
  WHEN("three quick requests are pipelined before a slow one (300 ms) and two more") {
    auto sent = clock_type::now();
    c.send(get_line("/n/1") + get_line("/n/2") + get_line("/n/3") + get_line("/slow")
           + get_line("/n/4") + get_line("/n/5"));
    auto first = c.read_response();
    auto first_at = clock_type::now();
    auto second = c.read_response();
    auto third = c.read_response();
    auto slow = c.read_response();
    auto fourth = c.read_response();
    auto fifth = c.read_response();
    THEN("the three quick answers arrive at once, the rest in order after the slow one") {
      CHECK(first.body == "n=1");
      CHECK(second.body == "n=2");
      CHECK(third.body == "n=3");
      CHECK(ms_between(sent, first_at) < 200);
      CHECK(slow.body == "slow");
      CHECK(fourth.body == "n=4");
      CHECK(fifth.body == "n=5");
    }
  }
}

SCENARIO("a pipelining client that never reads is cut at the send deadline, memory bounded",
         "[connection][pipelining][timing]") {
  auto cfg = test_server::default_config();
  cfg.send_timeout_ms = 1000;
  cfg.idle_timeout_ms = 1000;
  test_server srv{pipelining_routes(), cfg};
  GIVEN("a client with a 4 KiB receive buffer that pipelines 8 KiB responses and never reads") {
    peak_rss_probe rss;
    counting_client c{srv.port(), 4096};
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    std::string batch;
    for (int i = 0; i < 500; ++i)
      batch += get_line("/big");
    // 500 x 8 KiB answers are more than every kernel buffer between them holds: the server
    // stops reading long before it took them all.
    std::size_t sent = 0;
    auto until = clock_type::now() + 3s;
    bool closed = false;
    while (clock_type::now() < until && !closed) {
      auto n = ::send(c.fd, batch.data(), batch.size(), MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;  // the server stopped taking requests
      closed = true;
    }
    auto taken = srv.stats().requests_total.load();
    auto last_progress = clock_type::now();
    bool ended = false;
    for (auto stop = clock_type::now() + 10s; !ended && clock_type::now() < stop;) {
      std::this_thread::sleep_for(5ms);
      ended = srv.stats().live_connections == 0;
      if (auto now_taken = srv.stats().requests_total.load(); now_taken != taken) {
        taken = now_taken;
        last_progress = clock_type::now();
      }
    }
    THEN("the server took only what fits its buffers, and ended the connection in time") {
      INFO("sent " << sent << " bytes of requests; the server took " << taken);
      CHECK(ended);
      CHECK(ms_between(last_progress, clock_type::now()) < cfg.send_timeout_ms + 2000);
      CHECK(srv.stats().send_timeouts_total >= 1);
      CHECK(srv.server().wait_for([](auto& s) { return s.queued_response_bytes == 0; }, 5s));
      if (rss.valid() && !built_with_asan)
        CHECK(rss.growth_mib() < 16);
    }
    AND_THEN("others are served meanwhile and after") {
      CHECK(http_get(srv.port(), "/hello").body == "ok");
      CHECK(srv.idle(5s));
    }
  }
}

SCENARIO("a client that closes in the middle of a pipelined batch leaves nothing behind",
         "[connection][pipelining]") {
  test_server srv{pipelining_routes()};
  auto all_clear = [&] {
    return srv.server().wait_for(
      [](auto& s) {
        return s.live_connections == 0 && s.live_writers == 0 && s.active_streams == 0
          && s.running_tasks == 0;
      },
      5s);
  };
  WHEN("it pipelines quick requests around a slow one, reads the quick answers, and leaves") {
    {
      http_client c{srv.port()};
      std::string batch = get_line("/n/1") + get_line("/n/2") + get_line("/slow");
      for (int i = 0; i < 13; ++i)
        batch += get_line("/hello");
      c.send(batch);
      CHECK(c.read_response().body == "n=1");  // flushed: the slow one waits for its task
      CHECK(c.read_response().body == "n=2");
    }
    THEN("the slow response is abandoned, the rest never started, and everything ends") {
      CHECK(all_clear());
      CHECK(srv.stats().requests_total == 3);
    }
  }
  WHEN("it leaves right after sending a batch of 16 it never reads") {
    {
      http_client c{srv.port()};
      std::string batch;
      for (int i = 0; i < 16; ++i)
        batch += get_line(i == 8 ? "/slow" : "/hello");
      c.send(batch);
      std::this_thread::sleep_for(50ms);
    }
    THEN("its session and writer end") {
      CHECK(all_clear());
      CHECK(srv.stats().requests_total <= 9);
    }
  }
  CHECK(http_get(srv.port(), "/hello").body == "ok");
}

SCENARIO("held responses cost at most the bytes they count, plus one batch buffer",
         "[connection][pipelining]") {
  using fastactor::held_responses;
  held_responses held;
  WHEN("fifteen responses are held, each a small head and a body over batch_part_max") {
    std::size_t counted = 0;
    for (int i = 0; i < 15; ++i) {
      std::vector<std::string> parts{std::string(100, 'h'), std::string(4200, 'b')};
      held.hold(parts, 4300);
      counted += 4300;
    }
    THEN("only the first head opened a batch buffer: no 4 KiB per response") {
      CHECK(held.bytes() == counted);
      CHECK(held.responses() == 15);
      CHECK(held.memory() <= counted + held_responses::batch_reserve + 1024);
    }
    AND_THEN("the parts come out whole and in order") {
      auto all = joined(held.take_all());
      std::string expected;
      for (int i = 0; i < 15; ++i)
        expected += std::string(100, 'h') + std::string(4200, 'b');
      CHECK(all == expected);
      CHECK(held.empty());
      CHECK(held.bytes() == 0);
    }
  }
  WHEN("sixteen small responses are held") {
    for (int i = 0; i < 16; ++i) {
      std::vector<std::string> parts{"head" + std::to_string(i) + ";", "ok;"};
      held.hold(parts, 0);
    }
    THEN("they share the one batch buffer, in order") {
      auto parts = held.take_all();
      REQUIRE(parts.size() == 1);
      CHECK(parts[0].rfind("head0;ok;head1;ok;", 0) == 0);
      CHECK(parts[0].size() > 15 * 9);
    }
  }
  WHEN("small parts outgrow the batch buffer") {
    for (int i = 0; i < 16; ++i) {
      std::vector<std::string> parts{std::string(1000, 'a' + i)};
      held.hold(parts, 1000);
    }
    THEN("the buffer is not grown: the rest are moved, in order, and memory stays bounded") {
      CHECK(held.memory() <= 16 * 1000 + held_responses::batch_reserve + 1024);
      auto all = joined(held.take_all());
      REQUIRE(all.size() == 16 * 1000);
      for (int i = 0; i < 16; ++i)
        CHECK(all[static_cast<std::size_t>(i) * 1000] == 'a' + i);
    }
  }
  WHEN("responses are held as a head seen through a view and their body parts") {
    std::string head = "HTTP/1.1 200 OK\r\n\r\n";
    std::string big_head(held_responses::batch_part_max + 1, 'H');
    std::vector<std::string> body{"ok"};
    held.hold(head, body, head.size() + 2);
    head.assign(head.size(), 'x');  // the next head rendered overwrites the view's text
    std::vector<std::string> big_body{std::string(2000, 'b')};
    held.hold(big_head, big_body, big_head.size() + 2000);
    THEN("each head was copied when it was held, and comes out before its body, in order") {
      CHECK(body.empty());
      CHECK(big_body.empty());
      CHECK(held.responses() == 2);
      CHECK(held.bytes() == 19 + 2 + big_head.size() + 2000);
      CHECK(joined(held.take_all())
            == "HTTP/1.1 200 OK\r\n\r\nok" + big_head + std::string(2000, 'b'));
    }
  }
  WHEN("the first response held has a head larger than batch_part_max") {
    std::string big_head(held_responses::batch_part_max + 1, 'H');
    std::vector<std::string> body{"ok"};
    held.hold(big_head, body, big_head.size() + 2);
    std::vector<std::string> next{"small;", "ok"};
    held.hold(next, 8);
    THEN("it is a part of its own, and the small parts after it follow it, in order") {
      CHECK(held.responses() == 2);
      CHECK(joined(held.take_all()) == big_head + "ok" + "small;ok");
    }
  }
  WHEN("the writer's write waits behind held responses") {
    std::vector<std::string> one{"a"}, two{"b"};
    held.hold(one, 1);
    held.queue_behind({"c", "d"});
    THEN("it follows them, and nothing more counts as held") {
      CHECK(held.responses() == 0);
      CHECK(held.bytes() == 0);
      std::vector<std::string> next{"e"};
      held.take_into(next);
      CHECK(joined(next) == "acde");
    }
  }
}
