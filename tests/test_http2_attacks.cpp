// The HTTP/2 attack suite: each attack the HTTP/2 issue names runs against a real server on
// loopback, in this process, over plain TCP (prior knowledge) and, in the "tls/" run
// (FASTACTOR_TEST_TLS=1), over TLS with ALPN h2. Each asserts, as tests/test_attacks.cpp does
// for HTTP/1.1:
//   - bounded memory: the process's peak RSS rises by less than a stated bound (not under
//     AddressSanitizer) — and bounded CPU: the attack is over within a few seconds, and the
//     process (server, attacker and bystander together) spent less than a stated CPU time;
//   - the attacker's connection ends with GOAWAY and the error code nghttp2 1.52 (Debian's,
//     with its security backports) sends for it, or, where the server keeps it, why that is
//     acceptable;
//   - no worker is left (stats().live_workers back to zero);
//   - the HTTP/2 metrics (stats().http2) counted it;
//   - a bystander is served meanwhile: a thread asking GET /hello on fresh connections,
//     HTTP/1.1 and HTTP/2 in turn, every answer within 2 s.
// The routes start workers (/stream), so that "the workers stopped" means something.
#include "support/cpu_probe.hpp"
#include "support/eventually.hpp"
#include "support/h2_client.hpp"
#include "support/http_client.hpp"
#include "support/memory.hpp"
#include "support/raw_socket.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"
#include <fastactor/fastactor.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

namespace {

// -- the server -------------------------------------------------------------------------------

fastactor::router h2_attack_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  r.post("/echo", [](fastactor::context& ctx) { ctx.write(ctx.req().body); });
  return r;
}

/// Short deadlines, so that every attack ends in a few seconds.
fastactor::server_config h2_attack_config() {
  auto cfg = test_server::default_config();
  cfg.header_timeout_ms = 2000;
  cfg.body_timeout_ms = 2000;
  cfg.send_timeout_ms = 1500;
  cfg.idle_timeout_ms = 3000;
  return cfg;
}

/// A slow stream: one 1 KiB chunk every 100 ms from a worker, for far longer than any test.
const std::string slow_stream = "/stream?n=100000&size=1024&interval_ms=100";

/// The scheme a request names on this run's transport.
std::string scheme() {
  return tls_from_environment() ? "https" : "http";
}

/// Threads, pools and arenas up (HTTP/1.1 and HTTP/2, a stream with its worker) before the
/// baseline is taken, so that the peak measures the attack.
void warm_up(test_server& srv) {
  for (int i = 0; i < 10; ++i)
    REQUIRE(http_get(srv.port(), "/hello").body == "ok");
  h2_client c{srv.port()};
  REQUIRE(c.connected());
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 10; ++i)
    ids.push_back(c.submit("GET", "/hello"));
  ids.push_back(c.submit("GET", "/stream?n=16&size=65536"));
  for (auto id : ids)
    REQUIRE(c.wait_for(id, 5s));
  REQUIRE(c.response(ids.back()).body.size() == 16 * 65536);
  c.close();
  REQUIRE(srv.idle(5s));
}

/// The HTTP/2 counters at one moment.
struct h2_counts {
  std::uint64_t connections, streams, client_resets, server_resets, goaways, protocol_errors;

  static h2_counts of(const test_server& srv) {
    const auto& h = srv.stats().http2;
    return {h.connections_total.load(),   h.streams_total.load(), h.client_resets_total.load(),
            h.server_resets_total.load(), h.goaways_total.load(), h.protocol_errors_total.load()};
  }
  h2_counts since(const h2_counts& before) const {
    return {connections - before.connections,
            streams - before.streams,
            client_resets - before.client_resets,
            server_resets - before.server_resets,
            goaways - before.goaways,
            protocol_errors - before.protocol_errors};
  }
};

std::ostream& operator<<(std::ostream& os, const h2_counts& c) {
  return os << "connections " << c.connections << ", streams " << c.streams << ", client resets "
            << c.client_resets << ", server resets " << c.server_resets << ", GOAWAYs " << c.goaways
            << ", protocol errors " << c.protocol_errors;
}

// -- bounds -----------------------------------------------------------------------------------

/// The peak RSS rose by less than `bound_mib` (not under ASan).
void check_rss(const peak_rss_probe& rss, double bound_mib) {
  if (built_with_asan) {
    WARN("AddressSanitizer build: the RSS bound of " << bound_mib << " MiB is not checked");
    return;
  }
  REQUIRE(rss.valid());
  INFO("peak RSS growth: " << rss.growth_mib() << " MiB (bound " << bound_mib << " MiB)");
  CHECK(rss.growth_mib() < bound_mib);
}

// -- the other clients ------------------------------------------------------------------------

/// Another client, served while the attack runs: GET /hello on a fresh connection every
/// 50 ms, HTTP/1.1 and HTTP/2 in turn, from a thread of its own (one of each at least, however
/// short the attack).
class bystander {
public:
  explicit bystander(std::uint16_t port) : thread_([this, port] { run(port); }) {
    std::this_thread::sleep_for(100ms);
  }
  ~bystander() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  int served_h1() const { return served_h1_; }
  int served_h2() const { return served_h2_; }
  int failed() const { return failed_; }
  /// Requests it made (each reached the server's writer, unless it failed).
  int requests() const { return served_h1_ + served_h2_ + failed_; }
  double worst_ms() const { return worst_ms_; }
  /// Its HTTP/2 connections and streams, which the server's counters include.
  int h2_connections() const { return h2_connections_; }
  int h2_streams() const { return h2_streams_; }

private:
  void run(std::uint16_t port) {
    for (int i = 0; !stop_ || i < 2; ++i) {  // one request of each kind at least
      bool h2 = i % 2 == 1;
      auto start = clock_type::now();
      bool ok = false;
      try {
        if (h2) {
          h2_client c{port, transport::from_environment(), 5s};
          if (c.connected()) {
            ++h2_connections_;
            auto id = c.submit("GET", "/hello");
            h2_streams_ += id > 0;
            ok = id > 0 && c.wait_for(id, 5s) && c.response(id).status == 200
              && c.response(id).body == "ok";
          }
        } else {
          http_client c{port, 5s};
          ok = c.get("/hello").body == "ok";
        }
      } catch (const std::exception&) {
      }
      auto took = ms_between(start, clock_type::now());
      if (!ok)
        ++failed_;
      else
        ++(h2 ? served_h2_ : served_h1_);
      if (took > worst_ms_)
        worst_ms_ = took;
      std::this_thread::sleep_for(50ms);
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> served_h1_{0}, served_h2_{0}, failed_{0};
  std::atomic<int> h2_connections_{0}, h2_streams_{0};
  std::atomic<double> worst_ms_{0};
  std::thread thread_;
};

/// What the attack made the HTTP/2 counters count since `before`: the bystander stops, and
/// its own connections and streams are taken off.
h2_counts attack_counts(const test_server& srv, const h2_counts& before, bystander& others) {
  others.stop();
  auto c = h2_counts::of(srv).since(before);
  c.connections -= static_cast<std::uint64_t>(others.h2_connections());
  c.streams -= static_cast<std::uint64_t>(others.h2_streams());
  return c;
}

/// Other clients were served during the attack, over both protocols, each within 2 s.
void check_bystander(bystander& others) {
  others.stop();
  INFO("bystander: " << others.served_h1() << " served over HTTP/1.1, " << others.served_h2()
                     << " over HTTP/2, " << others.failed() << " failed, slowest "
                     << others.worst_ms() << " ms");
  CHECK(others.served_h1() > 0);
  CHECK(others.served_h2() > 0);
  CHECK(others.failed() == 0);
  CHECK(others.worst_ms() < 2000);
}

// -- reading what the server sent -----------------------------------------------------------

/// The :status of each stream's response among `frames` (HPACK-decoded in order, as the
/// server's encoder wrote them).
std::map<std::uint32_t, int> response_statuses(const std::vector<h2_frame_in>& frames) {
  nghttp2_hd_inflater* inflater = nullptr;
  nghttp2_hd_inflate_new(&inflater);
  std::map<std::uint32_t, int> statuses;
  std::string block;
  for (const auto& f : frames) {
    if (f.type == NGHTTP2_HEADERS) {
      std::string_view p = f.payload;
      std::size_t pad = 0;
      if (f.flags & NGHTTP2_FLAG_PADDED) {
        pad = static_cast<std::uint8_t>(p[0]);
        p.remove_prefix(1);
      }
      if (f.flags & NGHTTP2_FLAG_PRIORITY)
        p.remove_prefix(5);
      block.assign(p.substr(0, p.size() - pad));
    } else if (f.type == NGHTTP2_CONTINUATION) {
      block.append(f.payload);
    } else {
      continue;
    }
    if (!(f.flags & NGHTTP2_FLAG_END_HEADERS))
      continue;
    auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
    std::size_t left = block.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      auto n = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
      if (n < 0)
        break;
      in += n;
      left -= static_cast<std::size_t>(n);
      if ((flags & NGHTTP2_HD_INFLATE_EMIT)
          && std::string_view(reinterpret_cast<char*>(nv.name), nv.namelen) == ":status")
        statuses[f.stream] = std::stoi(std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
      if (flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(inflater);
        break;
      }
    }
  }
  nghttp2_hd_inflate_del(inflater);
  return statuses;
}

/// A frame with END_STREAM came on `stream`: its response is complete.
bool response_ended(const std::vector<h2_frame_in>& frames, std::uint32_t stream) {
  return std::any_of(frames.begin(), frames.end(), [stream](const h2_frame_in& f) {
    return f.stream == stream && (f.type == NGHTTP2_HEADERS || f.type == NGHTTP2_DATA)
      && (f.flags & NGHTTP2_FLAG_END_STREAM);
  });
}

std::size_t count_frames(const std::vector<h2_frame_in>& frames, std::uint8_t type,
                         std::uint8_t flags = 0) {
  return static_cast<std::size_t>(
    std::count_if(frames.begin(), frames.end(), [type, flags](const h2_frame_in& f) {
      return f.type == type && (f.flags & flags) == flags;
    }));
}

// -- an attacker that does not read -------------------------------------------------------------

/// An HTTP/2 connection (prior knowledge, or TLS with ALPN h2) that writes without reading,
/// with a 4 KiB receive buffer: the server's answers pile up on its side, as a flood's
/// acknowledgements do when the attacker ignores them. read_frames() reads at last.
class deaf_client {
public:
  explicit deaf_client(std::uint16_t port) : socket_(port, 4096, h2_tls()) {}

  void close() { socket_.close(); }

  /// Sends as much of `bytes` as the connection takes within `wait`: how much.
  std::size_t send_some(std::string_view bytes, ms wait) { return socket_.send_some(bytes, wait); }

  /// Reads (at last) until a GOAWAY came and the server closed, or `wait` passed; parses
  /// frames as they come.
  void read_frames(ms wait) {
    for (auto until = clock_type::now() + wait; !socket_.eof() && clock_type::now() < until;) {
      socket_.receive(received_, 20ms);
      parse();
    }
  }

  /// Frames received, but PING and SETTINGS acknowledgements and RST_STREAMs: acks() and
  /// resets() count those.
  const std::vector<h2_frame_in>& frames() const { return frames_; }
  std::size_t acks() const { return acks_; }
  std::size_t resets() const { return resets_; }
  std::optional<h2_frame_in> goaway() const {
    for (const auto& f : frames_)
      if (f.type == NGHTTP2_GOAWAY)
        return f;
    return std::nullopt;
  }
  /// The server closed (EOF or reset) while reading.
  bool closed() const { return socket_.eof(); }

private:
  void parse() {
    auto be = [this](std::size_t at, int n) {
      std::uint32_t v = 0;
      for (int i = 0; i < n; ++i)
        v = v << 8 | static_cast<std::uint8_t>(received_[at + i]);
      return v;
    };
    while (received_.size() - parsed_ >= 9) {
      auto length = be(parsed_, 3);
      if (received_.size() - parsed_ < 9 + length)
        break;
      h2_frame_in f;
      f.type = static_cast<std::uint8_t>(received_[parsed_ + 3]);
      f.flags = static_cast<std::uint8_t>(received_[parsed_ + 4]);
      f.stream = be(parsed_ + 5, 4) & 0x7fffffffu;
      parsed_ += 9 + length;
      if ((f.type == NGHTTP2_PING || f.type == NGHTTP2_SETTINGS) && (f.flags & NGHTTP2_FLAG_ACK)) {
        ++acks_;  // hundreds of thousands: counted, not kept
        continue;
      }
      if (f.type == NGHTTP2_RST_STREAM) {  // so are refused streams
        ++resets_;
        continue;
      }
      f.payload = received_.substr(parsed_ - length, length);
      f.at = clock_type::now();
      frames_.push_back(std::move(f));
    }
    // The parsed bytes are no longer needed.
    received_.erase(0, parsed_);
    parsed_ = 0;
  }

  /// TLS with ALPN h2 in a TLS run; plain (prior knowledge) otherwise.
  static std::optional<tls_options> h2_tls() {
    auto tls = transport::from_environment().tls;
    if (tls)
      tls->alpn = {"h2"};
    return tls;
  }

  raw_socket socket_;
  std::string received_;
  std::size_t parsed_ = 0;
  std::vector<h2_frame_in> frames_;
  std::size_t acks_ = 0;
  std::size_t resets_ = 0;
};

/// Sends `piece` (a batch of flood frames) over and over, without reading, until the server
/// counts a protocol error, the connection breaks, or `max_bytes` / `max_time` is reached.
/// Returns the bytes sent.
std::size_t flood_until_detected(deaf_client& c, test_server& srv, const std::string& piece,
                                 std::size_t max_bytes, ms max_time) {
  auto errors = srv.stats().http2.protocol_errors_total.load();
  std::size_t sent = 0;
  for (auto until = clock_type::now() + max_time; sent < max_bytes && clock_type::now() < until
       && srv.stats().http2.protocol_errors_total.load() == errors;) {
    auto n = c.send_some(piece, 50ms);
    sent += n;
    if (n == 0)
      std::this_thread::sleep_for(5ms);  // the server stopped reading, or is gone
  }
  return sent;
}

}  // namespace

// -- rapid reset -------------------------------------------------------------------------------

SCENARIO("HTTP/2 rapid reset (CVE-2023-44487): streams opened and cancelled at once",
         "[http2][attack]") {
  GIVEN("a server whose routes start a worker per stream (nghttp2 allows client resets at "
        "33 a second after a burst of 1000)") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    auto workers_before = srv.stats().live_workers.load();
    auto requests_before = srv.stats().requests_total.load();  // (and its requests)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client sends 3000 GET /stream (a worker each), each followed by RST_STREAM at once") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      auto start = clock_type::now();
      auto flood = h2_rapid_reset(1, 3000, hpack_request("GET", slow_stream, scheme()));
      auto sent = attacker.send(flood, 5s);
      auto goaway = attacker.wait_for_goaway(3s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      // The writer may still be running the handlers of the last streams read (a slow build
      // lags seconds behind): idle() means something only once each stream's request and reset
      // reached it.
      bool all_handled = srv.server().wait_for(
        [&](const fastactor::server_stats& s) {
          return s.requests_total - requests_before
            >= counted.streams + static_cast<std::uint64_t>(others.requests());
        },
        20s);
      bool idle = srv.idle(5s);
      THEN("GOAWAY(INTERNAL_ERROR) after the burst, the connection closes, every worker stops") {
        INFO("sent " << sent << " of " << flood.size() << " bytes; " << counted);
        REQUIRE(goaway);
        // nghttp2's rate limit (session_update_stream_reset_ratelim) sends INTERNAL_ERROR,
        // not ENHANCE_YOUR_CALM; its last stream is the last it read (about stream 2001).
        CHECK(goaway->error_code() == NGHTTP2_INTERNAL_ERROR);
        CHECK(goaway->last_stream() >= 2 * 1000 - 1);
        CHECK(goaway->last_stream() < 2 * 3000);
        CHECK(closed);
        CHECK(ended_ms < 4000);
        // Every stream the server read reached the writer, whose handler started a worker,
        // and was reset by the client.
        CHECK(counted.streams >= 1000);
        CHECK(all_handled);
        CHECK(counted.client_resets == counted.streams);
        CHECK(idle);
        CHECK(srv.stats().live_workers == workers_before);
        CHECK(srv.stats().active_streams == 0);
        CHECK(counted.goaways >= 1);
        CHECK(counted.protocol_errors == 1);
        check_rss(rss, 32);
        check_cpu(cpu, 15);
        check_bystander(others);
      }
    }
  }
}

// -- resets the server sends -------------------------------------------------------------------

SCENARIO("HTTP/2 MadeYouReset (CVE-2025-8671): requests the server itself must reset",
         "[http2][attack]") {
  GIVEN("a server whose routes start a worker per stream") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    auto workers_before = srv.stats().live_workers.load();
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    // A WINDOW_UPDATE that overflows a stream's send window is the client's error, which
    // nghttp2 answers with RST_STREAM(FLOW_CONTROL_ERROR): the stream is gone, its handler
    // has run, and nghttp2 1.52's rate limit never saw a reset from the client.
    WHEN("a client sends 3000 GET /stream (a worker each), each followed by a WINDOW_UPDATE "
         "that overflows the stream's window") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      auto start = clock_type::now();
      std::string flood;
      auto block = hpack_request("GET", slow_stream, scheme());
      for (std::uint32_t i = 0; i < 3000; ++i)
        flood += h2_headers(1 + 2 * i, block) + h2_window_update(1 + 2 * i, 0x7fffffff);
      auto sent = attacker.send(flood, 5s);
      auto goaway = attacker.wait_for_goaway(5s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      bool idle = srv.idle(20s);
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(ENHANCE_YOUR_CALM) after a burst like nghttp2's for client resets, the "
           "connection closes, every worker stops") {
        INFO("sent " << sent << " of " << flood.size() << " bytes; " << counted);
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(attacker.count(NGHTTP2_RST_STREAM) >= 1000);
        CHECK(closed);
        CHECK(ended_ms < 6000);
        CHECK(counted.streams >= 1000);
        CHECK(counted.streams < 3000);
        CHECK(idle);
        CHECK(srv.stats().live_workers == workers_before);
        CHECK(srv.stats().active_streams == 0);
        CHECK(counted.protocol_errors == 1);
        check_rss(rss, 32);
        check_cpu(cpu, 15);
        check_bystander(others);
      }
    }
  }
}

// -- headers held for bodies that do not come ---------------------------------------------------

SCENARIO("HTTP/2 streams that wait for their bodies keep a few headers' worth together",
         "[http2][attack]") {
  GIVEN("a server with the default --max-header-bytes (8 KiB)") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    warm_up(srv);
    auto before = h2_counts::of(srv);
    bystander others{srv.port()};
    peak_rss_probe rss;
    // Each stream's header refers once to a 4000-byte field in the HPACK dynamic table: a few
    // bytes on the wire, 4,216 bytes kept (as HPACK counts them) until its body ends. 60 of
    // them would keep 253 KB; 100 (--h2-max-streams), 422 KB, per connection.
    WHEN("a client opens 60 POST /echo streams with such a header, then ends each with a body") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      auto post = hpack_request("POST", "/echo", scheme());
      std::string opening =
        h2_headers(1, post + hpack_indexed_literal("x-big", std::string(4000, 'a')), false);
      for (std::uint32_t id = 3; id < 120; id += 2)
        opening += h2_headers(id, post + hpack_index(62), false);
      REQUIRE(attacker.send(opening, 3s) == opening.size());
      std::string bodies;
      for (std::uint32_t id = 1; id < 120; id += 2)
        bodies += h2_data(id, "x", true);
      REQUIRE(attacker.send(bodies, 3s) == bodies.size());
      auto all_ended = [&](std::uint32_t first, std::uint32_t end) {
        for (auto id = first; id < end; id += 2)
          if (!response_ended(attacker.frames(), id))
            return false;
        return true;
      };
      bool answered = attacker.run_until([&] { return all_ended(1, 120); }, 5s);
      auto statuses = response_statuses(attacker.frames());
      AND_WHEN("they are done, 10 more such streams come") {
        std::string again;
        for (std::uint32_t id = 121; id < 140; id += 2)
          again += h2_headers(id, post + hpack_index(62), false) + h2_data(id, "x", true);
        REQUIRE(attacker.send(again, 3s) == again.size());
        bool answered_again = attacker.run_until([&] { return all_ended(121, 140); }, 5s);
        auto statuses_again = response_statuses(attacker.frames());
        bool idle = srv.idle(5s);
        auto counted = attack_counts(srv, before, others);
        THEN("the streams past 128 KiB of kept headers get 431, the others 200, and once they "
             "are done the next ones are served: the connection stays") {
          INFO(counted);
          CHECK(answered);
          int ok = 0, refused = 0;
          for (std::uint32_t id = 1; id < 120; id += 2) {
            ok += statuses[id] == 200;
            refused += statuses[id] == 431;
          }
          CHECK(ok == 131'072 / 4'216);  // 31 (over TLS too: 4,217 bytes a stream)
          CHECK(ok + refused == 60);
          CHECK(answered_again);
          for (std::uint32_t id = 121; id < 140; id += 2)
            CHECK(statuses_again[id] == 200);
          CHECK(attacker.count(NGHTTP2_GOAWAY) == 0);
          CHECK_FALSE(attacker.closed());
          CHECK(idle);
          CHECK(counted.protocol_errors == 0);
          check_rss(rss, 32);
          check_bystander(others);
        }
      }
    }
  }
}

SCENARIO("HTTP/2 requests are held to --max-header-fields as HTTP/1.1's are", "[http2][attack]") {
  GIVEN("a server with the default --max-header-fields (100)") {
    auto routes = h2_attack_routes();
    routes.get("/cookie", [](fastactor::context& ctx) {
      auto cookie = ctx.req().header("cookie");
      ctx.write(cookie ? std::string{*cookie} : std::string{"none"});
    });
    test_server srv{std::move(routes), h2_attack_config()};
    WHEN("one request has 101 fields, the next 100, and the last 61 and 120 cookies") {
      h2_raw c{srv.port()};
      REQUIRE(c.handshake());
      auto fields = [](int n) {
        name_value extra;
        for (int i = 0; i < n; ++i)
          extra.emplace_back("x-f" + std::to_string(i), "v");
        return extra;
      };
      // (":authority" becomes Host: 99 more fields make 100. Cookies, each a field of its own
      // as browsers send them, are joined into one: 62 fields, 7.6 KB.)
      auto cookies = fields(60);
      for (int i = 0; i < 120; ++i)
        cookies.emplace_back("cookie", "c" + std::to_string(i) + "=v");
      auto bytes = h2_headers(1, hpack_request("GET", "/hello", scheme(), "127.0.0.1", fields(100)))
        + h2_headers(3, hpack_request("GET", "/hello", scheme(), "127.0.0.1", fields(99)))
        + h2_headers(5, hpack_request("GET", "/cookie", scheme(), "127.0.0.1", cookies));
      REQUIRE(c.send(bytes, 3s) == bytes.size());
      auto ended = [&] {
        return response_ended(c.frames(), 1) && response_ended(c.frames(), 3)
          && response_ended(c.frames(), 5);
      };
      bool answered = c.run_until(ended, 5s);
      auto statuses = response_statuses(c.frames());
      std::string cookie_seen;
      for (const auto& f : c.frames())
        if (f.type == NGHTTP2_DATA && f.stream == 5)
          cookie_seen += f.payload;
      THEN("the first gets 431, the others 200, and the handler reads the cookies as one field") {
        CHECK(answered);
        CHECK(statuses[1] == 431);
        CHECK(statuses[3] == 200);
        INFO("stream 5: " << cookie_seen);
        CHECK(statuses[5] == 200);
        CHECK(cookie_seen.rfind("c0=v; c1=v; c2=v", 0) == 0);
        CHECK(cookie_seen.size() > 120 * 5);
        CHECK(c.count(NGHTTP2_GOAWAY) == 0);
      }
    }
  }
}

// -- CONTINUATION flood ----------------------------------------------------------------------

SCENARIO("HTTP/2 CONTINUATION flood (CVE-2024-27316 class): a header block that never ends",
         "[http2][attack]") {
  GIVEN("a server (nghttp2 takes at most 8 CONTINUATION frames per header block)") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client sends HEADERS without END_HEADERS, then 2000 CONTINUATION frames of 1 KB") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      auto start = clock_type::now();
      auto flood = h2_headers(1, hpack_request("POST", "/echo", scheme()), false, false);
      for (int i = 0; i < 2000; ++i)
        flood += h2_continuation(
          1, hpack_literal("x-flood-" + std::to_string(i), std::string(1000, 'c')), false);
      auto sent = attacker.send(flood, 3s);
      auto goaway = attacker.wait_for_goaway(3s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(ENHANCE_YOUR_CALM) at the 9th CONTINUATION, the connection closes") {
        INFO("sent " << sent << " of " << flood.size() << " bytes; " << counted);
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(closed);
        CHECK(ended_ms < 3000);
        CHECK(srv.idle(5s));
        CHECK(counted.protocol_errors == 1);
        CHECK(counted.goaways >= 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

// -- HPACK bomb ----------------------------------------------------------------------------------

SCENARIO("HTTP/2 HPACK bomb: small header blocks that decode to 16 MB each get 431",
         "[http2][attack]") {
  GIVEN("a server with max_header_bytes = 16 KiB (its SETTINGS_MAX_HEADER_LIST_SIZE)") {
    auto cfg = h2_attack_config();
    cfg.max_header_bytes = 16 * 1024;
    test_server srv{h2_attack_routes(), cfg};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client sends 50 requests whose 8 KB blocks refer 4000 times to a 4000-byte field, "
         "then a GET /hello") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      auto start = clock_type::now();
      std::string bombs;
      for (std::uint32_t i = 0; i < 50; ++i)
        bombs += h2_headers(1 + 2 * i, hpack_bomb(4000, 4000, scheme()));
      bombs += h2_headers(101, hpack_request("GET", "/hello", scheme()));
      REQUIRE(attacker.send(bombs, 3s) == bombs.size());
      bool answered = attacker.run_until(
        [&] {
          for (std::uint32_t id = 1; id <= 101; id += 2)
            if (!response_ended(attacker.frames(), id))
              return false;
          return true;
        },
        5s);
      auto answered_ms = ms_between(start, clock_type::now());
      auto statuses = response_statuses(attacker.frames());
      bool idle = srv.idle(5s);
      auto counted = attack_counts(srv, before, others);
      // The connection is kept: each bomb is a request whose header section is too large — a
      // stream's error, answered like HTTP/1.1's 431. The decoder's state stays in step, the
      // fields past max_header_bytes are never copied, and the CPU it costs is one callback per
      // byte of the block: linear in what the client sends.
      THEN("each bomb gets 431 and the request after them 200, on a connection still open") {
        INFO(counted);
        CHECK(answered);
        CHECK(answered_ms < 3000);
        int refused = 0;
        for (std::uint32_t id = 1; id < 101; id += 2)
          refused += statuses[id] == 431;
        CHECK(refused == 50);
        CHECK(statuses[101] == 200);
        CHECK(attacker.count(NGHTTP2_GOAWAY) == 0);
        CHECK(attacker.count(NGHTTP2_RST_STREAM) == 0);
        CHECK_FALSE(attacker.closed());
        CHECK(idle);
        CHECK(counted.streams >= 51);
        CHECK(counted.protocol_errors == 0);
        check_rss(rss, 32);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

// -- SETTINGS flood ----------------------------------------------------------------------------

// nghttp2 counts the acknowledgements it has queued and not yet sent; past 1000 it fails the
// read with NGHTTP2_ERR_FLOODED and queues no GOAWAY itself: the codec's is ENHANCE_YOUR_CALM.
// So the flood is one of a client that does not read (deaf_client). One that reads every
// acknowledgement is only chatty — a 9-byte answer for its 9 bytes — and nghttp2 lets it go on.

SCENARIO("HTTP/2 SETTINGS flood: frames whose acknowledgements the client never reads",
         "[http2][attack]") {
  GIVEN("a server (nghttp2 queues at most 1000 SETTINGS/PING acknowledgements, and takes at "
        "most 32 entries per SETTINGS)") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client that does not read sends empty SETTINGS frames until the server stops it") {
      deaf_client attacker{srv.port()};
      std::string piece;
      for (int i = 0; i < 2000; ++i)
        piece += h2_settings();
      REQUIRE(attacker.send_some(h2_preface() + h2_settings(), 2s) > 0);
      auto start = clock_type::now();
      auto sent = flood_until_detected(attacker, srv, piece, 64u << 20, 4s);
      auto detected_ms = ms_between(start, clock_type::now());
      attacker.read_frames(4s);  // now it reads: the acknowledgements, then the GOAWAY
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(ENHANCE_YOUR_CALM) behind the queued acknowledgements, then the close") {
        INFO("sent " << sent << " bytes (" << sent / 9 << " frames) in " << detected_ms
                     << " ms; received " << attacker.acks() << " acknowledgements; " << counted);
        CHECK(detected_ms < 3000);
        auto goaway = attacker.goaway();
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(attacker.closed());
        CHECK(srv.idle(5s));
        CHECK(counted.protocol_errors == 1);
        CHECK(counted.goaways >= 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
    WHEN("a client sends one SETTINGS frame with 100 entries") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      h2_setting_list many;
      for (int i = 0; i < 100; ++i)
        many.emplace_back(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 + i);
      auto start = clock_type::now();
      attacker.send(h2_settings(many));
      auto goaway = attacker.wait_for_goaway(3s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(ENHANCE_YOUR_CALM) from nghttp2 at once, and the close") {
        INFO(counted);
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(goaway->debug_data() == "SETTINGS: too many setting entries");
        CHECK(closed);
        CHECK(ended_ms < 2000);
        CHECK(srv.idle(5s));
        CHECK(counted.protocol_errors == 1);
        CHECK(counted.goaways >= 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

// -- PING flood ------------------------------------------------------------------------------

SCENARIO("HTTP/2 PING flood: pings whose acknowledgements the client never reads",
         "[http2][attack]") {
  GIVEN("a server (nghttp2 queues at most 1000 SETTINGS/PING acknowledgements)") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client that does not read sends PINGs until the server stops it") {
      deaf_client attacker{srv.port()};
      std::string piece;
      for (std::uint64_t i = 0; i < 1000; ++i)
        piece += h2_ping(i);
      REQUIRE(attacker.send_some(h2_preface() + h2_settings() + h2_settings_ack(), 2s) > 0);
      auto start = clock_type::now();
      auto sent = flood_until_detected(attacker, srv, piece, 64u << 20, 4s);
      auto detected_ms = ms_between(start, clock_type::now());
      attacker.read_frames(4s);
      auto counted = attack_counts(srv, before, others);
      // As for SETTINGS: a client that does read every acknowledgement is only a chatty one
      // (a 17-byte answer for its 17 bytes), and nghttp2 lets it go on.
      THEN("GOAWAY(ENHANCE_YOUR_CALM) behind the queued acknowledgements, then the close") {
        INFO("sent " << sent << " bytes (" << sent / 17 << " PINGs) in " << detected_ms
                     << " ms; received " << attacker.acks() << " acknowledgements; " << counted);
        CHECK(detected_ms < 3000);
        auto goaway = attacker.goaway();
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(attacker.closed());
        CHECK(srv.idle(5s));
        CHECK(counted.protocol_errors == 1);
        CHECK(counted.goaways >= 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

// -- empty DATA flood ---------------------------------------------------------------------------

// nghttp2 (1.52) has no limit on empty frames (CVE-2019-9518): it parses each and moves on.
// The codec counts DATA frames that carry nothing and do not end their stream: a burst of 100,
// given back by each request that completes and at 10 a second; past it, ENHANCE_YOUR_CALM.
// (An empty DATA frame with END_STREAM, the usual end of a streamed body, is not counted.)
SCENARIO("HTTP/2 empty DATA flood: a request body of endless empty frames", "[http2][attack]") {
  GIVEN("a server (idle_timeout_ms = 1500, which must not be what ends it)") {
    auto cfg = h2_attack_config();
    cfg.idle_timeout_ms = 1500;
    test_server srv{h2_attack_routes(), cfg};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client opens POST /echo and sends empty DATA frames for up to 5 s") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      auto start = clock_type::now();
      attacker.send(h2_headers(1, hpack_request("POST", "/echo", scheme()), false));
      std::string piece;
      for (int i = 0; i < 1000; ++i)
        piece += h2_data(1, {});
      std::size_t sent = 0;
      while (!attacker.closed() && !attacker.find(NGHTTP2_GOAWAY) && clock_type::now() < start + 5s)
        sent += attacker.send(piece, 100ms);
      auto goaway = attacker.wait_for_goaway(2s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(ENHANCE_YOUR_CALM) at once, the close, memory and CPU bounded") {
        INFO("sent " << sent << " bytes (" << sent / 9 << " empty DATA frames) in " << ended_ms
                     << " ms; " << counted);
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(closed);
        CHECK(ended_ms < cfg.idle_timeout_ms);
        CHECK(srv.idle(5s));
        CHECK(counted.connections == 1);
        CHECK(counted.streams == 0);  // the request never ended: the writer never had it
        CHECK(counted.protocol_errors == 1);
        CHECK(counted.goaways == 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

SCENARIO("HTTP/2 empty DATA frames now and then on a long-lived connection are no flood",
         "[http2][attack]") {
  GIVEN("a server") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    auto before = h2_counts::of(srv);
    WHEN("a client sends 150 POSTs in turn, each body two empty DATA frames, a byte, and an "
         "empty DATA frame with END_STREAM: 300 empty frames in all") {
      h2_raw c{srv.port()};
      REQUIRE(c.handshake());
      auto block = hpack_request("POST", "/echo", scheme());
      auto start = clock_type::now();
      int answered = 0;
      for (std::uint32_t id = 1; id < 300; id += 2) {
        c.send(h2_headers(id, block, false) + h2_data(id, {}) + h2_data(id, {}) + h2_data(id, "x")
               + h2_data(id, {}, true));
        if (!c.run_until([&] { return response_ended(c.frames(), id); }, 3s))
          break;
        ++answered;
      }
      auto took_ms = ms_between(start, clock_type::now());
      auto statuses = response_statuses(c.frames());
      THEN("every one is answered 200 on a connection still open, far sooner than the steady "
           "rate alone would allow (20 s): each completed request gave the allowance back") {
        INFO(answered << " answered in " << took_ms << " ms; " << h2_counts::of(srv).since(before));
        CHECK(answered == 150);
        CHECK(std::count_if(statuses.begin(), statuses.end(),
                            [](const auto& s) { return s.second == 200; })
              == 150);
        CHECK(c.count(NGHTTP2_GOAWAY) == 0);
        CHECK_FALSE(c.closed());
        CHECK(took_ms < 15000);
        CHECK(h2_counts::of(srv).since(before).protocol_errors == 0);
      }
    }
  }
}

// -- frames the server must answer, never read -------------------------------------------------

// nghttp2 1.52 bounds the acknowledgements it queues (SETTINGS, PING), not the other frames a
// client makes it queue. Here: a stream past SETTINGS_MAX_CONCURRENT_STREAMS, opened before the
// client acknowledged the setting, is refused with RST_STREAM(REFUSED_STREAM), a frame queued
// for each HEADERS of 12 bytes (the request's fields by their static HPACK index), for as long
// as the client sends them without reading. The kernel's socket buffers take the first few MB
// of refusals; then nghttp2's queue grows.
// The codec caps nghttp2's outbound queue at 4 frames per allowed stream + 1,000.
SCENARIO("HTTP/2 outbound queue flood: refused streams whose RST_STREAMs the client never reads",
         "[http2][attack]") {
  GIVEN("a server with h2_max_streams = 4 (so a queue cap of 1,016 frames)") {
    auto cfg = h2_attack_config();
    cfg.h2_max_streams = 4;
    cfg.body_timeout_ms = 0;  // the 4 open requests stay open however long the flood takes
    // The cap must stop it, not a deadline: once the refusals fill the kernel's buffers the
    // server's writes stall, and where the server reads slowly (TLS under ASan) a deadline can
    // end the connection first, and the reset that ends the lingering close destroys what the
    // client has not read yet. The send deadline did (0 refusals read); so did the idle timeout,
    // for the 4 requests still being read count as idle (a clean-clone CI run: "GOAWAYs 1,
    // protocol errors 0", a GOAWAY(NO_ERROR) the client never read).
    cfg.send_timeout_ms = 0;
    cfg.idle_timeout_ms = 0;
    test_server srv{h2_attack_routes(), cfg};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client that neither reads nor acknowledges SETTINGS opens 4 streams whose bodies "
         "never come, then stream after stream until the server stops it") {
      deaf_client attacker{srv.port()};
      std::string opening = h2_preface() + h2_settings();
      for (std::uint32_t id = 1; id <= 7; id += 2)
        opening += h2_headers(id, hpack_request("POST", "/echo", scheme()), false);
      REQUIRE(attacker.send_some(opening, 2s) == opening.size());
      // :method GET, :scheme http(s), :path / (RFC 7541 appendix A)
      auto block = hpack_index(2) + hpack_index(tls_from_environment() ? 7 : 6) + hpack_index(4);
      auto errors = srv.stats().http2.protocol_errors_total.load();
      std::uint32_t next_id = 9;
      std::string pending;  // (a partial send leaves the rest of a frame: it goes first)
      std::size_t sent = 0;
      auto start = clock_type::now();
      // The refusals fill the kernel's buffers first (up to its 4 MiB send buffer), so how soon
      // the queue grows depends on how fast the server reads: ~1 s here, ~10 s over TLS under
      // AddressSanitizer.
      while (clock_type::now() < start + 20s && next_id < (1u << 30)
             && srv.stats().http2.protocol_errors_total.load() == errors) {
        // 200 frames a send, as a real flood would: one 12-byte frame per send made a segment
        // of each, whose kernel overhead overflowed the server's receive buffer whenever a
        // neighbour slowed its reads; loopback dropped them, and retransmission backoff
        // (seconds) stalled the connection both ways (ss: cwnd 1, backoff 4, 4 MB unsent).
        if (pending.empty())
          for (int i = 0; i < 200; ++i, next_id += 2)
            pending += h2_headers(next_id, block);
        auto n = attacker.send_some(pending, 50ms);
        pending.erase(0, n);
        sent += n;
        if (n == 0)
          std::this_thread::sleep_for(5ms);  // the server stopped reading, or is gone
      }
      auto detected_ms = ms_between(start, clock_type::now());
      attacker.read_frames(4s);  // now it reads: the refusals that left, then the GOAWAY
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(ENHANCE_YOUR_CALM) behind the refusals already sent, then the close") {
        auto refusals = attacker.resets();
        INFO("sent " << sent << " bytes (streams up to " << next_id << ") in " << detected_ms
                     << " ms; received " << refusals << " refusals; " << counted);
        check_rss(rss, 16);  // (first: without the cap, what it measures is the point)
        CHECK(detected_ms < 18000);
        CHECK(refusals > 0);
        auto goaway = attacker.goaway();
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(attacker.closed());
        CHECK(srv.idle(5s));
        CHECK(counted.streams == 0);  // the 4 requests never ended; the rest were refused
        CHECK(counted.protocol_errors == 1);
        CHECK(counted.goaways >= 1);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

// -- a window that never opens ------------------------------------------------------------------

SCENARIO("HTTP/2 zero window: a stream whose window the client never opens", "[http2][attack]") {
  GIVEN("a server with send_timeout_ms = 1500, no request deadline, idle_timeout_ms = 1500") {
    auto cfg = h2_attack_config();
    cfg.request_timeout_ms = 0;  // only the stream's send deadline may end it
    cfg.idle_timeout_ms = 1500;
    test_server srv{h2_attack_routes(), cfg};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    auto send_timeouts_before = srv.stats().send_timeouts_total.load();
    auto waits_before = srv.stats().backpressure_waits_total.load();
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client announces an initial window of 0 and asks for a fast 1.6 GB stream") {
      h2_options options;
      options.initial_window = 0;
      h2_client attacker{srv.port(), transport::from_environment(), 10s, options};
      REQUIRE(attacker.connected());
      auto start = clock_type::now();
      auto id = attacker.submit("GET", "/stream?n=100000&size=16384");
      REQUIRE(id > 0);
      // The producer runs flat out until its acknowledgements stop: what the server holds
      // meanwhile is watched.
      std::int64_t queued_max = 0;
      bool reset = false;
      for (auto until = start + ms(cfg.send_timeout_ms) + 3s;
           !reset && clock_type::now() < until;) {
        reset = attacker.run_until([&] { return attacker.response(id).done(); }, 20ms);
        queued_max = std::max(queued_max, srv.stats().queued_response_bytes.load());
      }
      auto reset_ms = ms_between(start, clock_type::now());
      auto& r = attacker.response(id);
      bool idle = srv.idle(5s);
      bool goaway =
        attacker.run_until([&] { return attacker.closed(); }, ms(cfg.idle_timeout_ms) + 3s);
      auto counted = attack_counts(srv, before, others);
      THEN("the producer paused, the send deadline reset the stream, idle GOAWAY followed") {
        INFO("reset after " << reset_ms << " ms; at most " << queued_max
                            << " response bytes queued; " << counted);
        CHECK(r.status == 200);
        CHECK(r.body.empty());
        REQUIRE(r.reset_by_server);
        CHECK(*r.reset_by_server == NGHTTP2_INTERNAL_ERROR);
        CHECK(reset_ms >= cfg.send_timeout_ms - 100);
        CHECK(reset_ms < cfg.send_timeout_ms + 2000);
        CHECK(srv.stats().send_timeouts_total == send_timeouts_before + 1);
        CHECK(srv.stats().backpressure_waits_total > waits_before);
        CHECK(queued_max < 1024 * 1024);
        CHECK(idle);
        CHECK(srv.stats().queued_response_bytes == 0);
        CHECK(goaway);
        REQUIRE(attacker.goaway_error());
        CHECK(*attacker.goaway_error() == NGHTTP2_NO_ERROR);
        CHECK(counted.server_resets == 1);
        CHECK(counted.client_resets == 0);
        CHECK(counted.protocol_errors == 0);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

// -- more streams than allowed --------------------------------------------------------------------

// nghttp2 answers a stream over SETTINGS_MAX_CONCURRENT_STREAMS in two ways: once the client has
// acknowledged the setting, it is a connection error (GOAWAY PROTOCOL_ERROR, "max concurrent
// streams exceeded"), the streams already open ending with the connection; before that, the
// client may not know the limit yet, and the stream alone is refused (RST_STREAM
// REFUSED_STREAM, which tells the client it may retry it).

SCENARIO("HTTP/2 streams beyond SETTINGS_MAX_CONCURRENT_STREAMS", "[http2][attack]") {
  GIVEN("a server with h2_max_streams = 4") {
    auto cfg = h2_attack_config();
    cfg.h2_max_streams = 4;
    cfg.body_timeout_ms = 0;  // the 4 open requests stay open however long the flood takes
    test_server srv{h2_attack_routes(), cfg};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    auto workers_before = srv.stats().live_workers.load();
    peak_rss_probe rss;
    cpu_probe cpu;
    auto block = hpack_request("GET", slow_stream, scheme());
    WHEN("a client that acknowledged the limit opens 4 slow streams, then 4 more") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      REQUIRE(attacker.run_until(
        [&] { return count_frames(attacker.frames(), NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK) > 0; },
        3s));
      std::string four;
      for (std::uint32_t id = 1; id <= 7; id += 2)
        four += h2_headers(id, block);
      attacker.send(four);
      REQUIRE(eventually([&] { return srv.stats().live_workers >= workers_before + 4; }));
      auto start = clock_type::now();
      std::string more;
      for (std::uint32_t id = 9; id <= 15; id += 2)
        more += h2_headers(id, block);
      attacker.send(more);
      auto goaway = attacker.wait_for_goaway(3s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      bool idle = srv.idle(5s);
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(PROTOCOL_ERROR) naming stream 7 the last, the close, the 4 workers stop") {
        INFO(counted);
        REQUIRE(goaway);
        // nghttp2: a stream over the acknowledged limit is a connection error.
        CHECK(goaway->error_code() == NGHTTP2_PROTOCOL_ERROR);
        CHECK(goaway->last_stream() == 7);
        CHECK(closed);
        CHECK(ended_ms < 2000);
        CHECK(idle);
        CHECK(srv.stats().live_workers == workers_before);
        CHECK(counted.streams >= 4);
        CHECK(counted.protocol_errors == 1);
        CHECK(counted.goaways >= 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
    WHEN("a client opens 8 slow streams before it acknowledged the server's SETTINGS") {
      h2_raw attacker{srv.port()};
      std::string opening = h2_preface() + h2_settings();
      for (std::uint32_t id = 1; id <= 15; id += 2)
        opening += h2_headers(id, block);
      attacker.send(opening);
      bool refused = attacker.run_until(
        [&] { return count_frames(attacker.frames(), NGHTTP2_RST_STREAM) >= 4; }, 3s);
      attacker.run_until([&] { return response_statuses(attacker.frames()).size() >= 4; }, 3s);
      auto statuses = response_statuses(attacker.frames());
      bool workers = eventually([&] { return srv.stats().live_workers >= workers_before + 4; });
      attacker.run_until([] { return false; }, 300ms);
      THEN("streams 9-15 are refused (RST_STREAM REFUSED_STREAM), 1-7 served, the connection "
           "kept") {
        CHECK(refused);
        for (std::uint32_t id = 9; id <= 15; id += 2) {
          INFO("stream " << id);
          auto rst = attacker.find(NGHTTP2_RST_STREAM, id);
          REQUIRE(rst);
          CHECK(rst->error_code() == NGHTTP2_REFUSED_STREAM);
        }
        for (std::uint32_t id = 1; id <= 7; id += 2) {
          INFO("stream " << id);
          CHECK(statuses[id] == 200);
          CHECK_FALSE(attacker.find(NGHTTP2_RST_STREAM, id));
        }
        CHECK(workers);
        CHECK(attacker.count(NGHTTP2_GOAWAY) == 0);
        CHECK_FALSE(attacker.closed());
        AND_THEN("when the client vanishes, its 4 workers stop") {
          attacker.close();
          CHECK(srv.idle(5s));
          CHECK(srv.stats().live_workers == workers_before);
          auto counted = attack_counts(srv, before, others);
          INFO(counted);
          CHECK(counted.streams >= 4);
          CHECK(counted.protocol_errors == 0);
          check_rss(rss, 16);
          check_cpu(cpu, 10);
          check_bystander(others);
        }
      }
    }
  }
}

// -- a closed stream's ID again ------------------------------------------------------------------

// nghttp2 keeps the streams it closed in its priority tree (a bounded number of them), so it
// knows stream 1 is closed: HEADERS on it is a connection error, STREAM_CLOSED. (An older ID
// it no longer remembers would be ignored instead, as nghttp2 does on purpose: a client may
// rightly send trailers on a stream the server has just reset.)

SCENARIO("HTTP/2 HEADERS on a stream ID that was used and closed", "[http2][attack]") {
  GIVEN("a server") {
    test_server srv{h2_attack_routes(), h2_attack_config()};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("a client's GET /hello on stream 1 is answered, then it sends a request on stream 1 "
         "again") {
      h2_raw attacker{srv.port()};
      REQUIRE(attacker.handshake());
      attacker.send(h2_headers(1, hpack_request("GET", "/hello", scheme())));
      REQUIRE(attacker.run_until([&] { return response_ended(attacker.frames(), 1); }, 3s));
      auto start = clock_type::now();
      attacker.send(h2_headers(1, hpack_request("GET", slow_stream, scheme())));
      auto goaway = attacker.wait_for_goaway(3s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(STREAM_CLOSED) naming stream 1 the last, and the close") {
        INFO(counted);
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_STREAM_CLOSED);
        CHECK(goaway->last_stream() == 1);
        CHECK(closed);
        CHECK(ended_ms < 2000);
        CHECK(srv.idle(5s));
        CHECK(counted.streams >= 1);
        CHECK(counted.protocol_errors == 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}

// -- a malformed preface --------------------------------------------------------------------------

SCENARIO("HTTP/2 malformed connection prefaces", "[http2][attack]") {
  GIVEN("a server with idle_timeout_ms = 1500") {
    auto cfg = h2_attack_config();
    cfg.idle_timeout_ms = 1500;
    test_server srv{h2_attack_routes(), cfg};
    warm_up(srv);
    auto before = h2_counts::of(srv);  // (the bystander's own streams are counted too)
    bystander others{srv.port()};
    peak_rss_probe rss;
    cpu_probe cpu;
    WHEN("the client's magic is followed by a PING instead of SETTINGS") {
      h2_raw attacker{srv.port()};
      auto start = clock_type::now();
      attacker.send(h2_preface() + h2_ping(1));
      auto goaway = attacker.wait_for_goaway(3s);
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      THEN("GOAWAY(PROTOCOL_ERROR), and the close") {
        INFO(counted);
        REQUIRE(goaway);
        CHECK(goaway->error_code() == NGHTTP2_PROTOCOL_ERROR);
        CHECK(attacker.count(NGHTTP2_PING) == 0);
        CHECK(closed);
        CHECK(ended_ms < 2000);
        CHECK(srv.idle(5s));
        CHECK(counted.protocol_errors == 1);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
    WHEN("the magic is wrong after its first line (\"PRI * HTTP/2.0\\r\\n\\r\\nXX\\r\\n\\r\\n\")") {
      h2_raw attacker{srv.port()};
      auto start = clock_type::now();
      attacker.send(std::string("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n") + h2_settings());
      bool closed = attacker.closed_within(3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      THEN("the connection closes at once: over TLS (ALPN h2) with GOAWAY(PROTOCOL_ERROR); over "
           "plain TCP it is no preface, and HTTP/1.1 refuses it") {
        INFO("received: " << attacker.received().substr(0, 200) << "; " << counted);
        CHECK(closed);
        CHECK(ended_ms < 2000);
        if (tls_from_environment()) {
          auto goaway = attacker.find(NGHTTP2_GOAWAY);
          REQUIRE(goaway);
          CHECK(goaway->error_code() == NGHTTP2_PROTOCOL_ERROR);
          CHECK(counted.protocol_errors == 1);
        } else {
          CHECK(attacker.received().rfind("HTTP/1.1 4", 0) == 0);
          CHECK(counted.connections == 0);
        }
        CHECK(srv.idle(5s));
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
    WHEN("the client sends half of the magic and nothing more") {
      h2_raw attacker{srv.port()};
      auto start = clock_type::now();
      attacker.send(h2_preface().substr(0, 12));
      bool closed = attacker.closed_within(ms(cfg.idle_timeout_ms) + 3s);
      auto ended_ms = ms_between(start, clock_type::now());
      auto counted = attack_counts(srv, before, others);
      THEN("the idle timeout ends it: plain, with 408 (a request begun and not finished); over "
           "TLS, where HTTP/2 began with ALPN, with GOAWAY") {
        INFO("received: " << attacker.received().substr(0, 200) << "; " << counted);
        CHECK(closed);
        CHECK(ended_ms >= cfg.idle_timeout_ms - 100);
        CHECK(ended_ms < cfg.idle_timeout_ms + 2000);
        if (tls_from_environment()) {
          auto goaway = attacker.find(NGHTTP2_GOAWAY);
          REQUIRE(goaway);
          CHECK(goaway->error_code() == NGHTTP2_NO_ERROR);
        } else {
          CHECK(attacker.received().rfind("HTTP/1.1 408", 0) == 0);
        }
        CHECK(srv.idle(5s));
        CHECK(counted.protocol_errors == 0);
        check_rss(rss, 16);
        check_cpu(cpu, 10);
        check_bystander(others);
      }
    }
  }
}
