// The tests' HTTP/2 client (support/h2_client.hpp) proven against a server known to be right,
// Debian's nghttpd (nghttp2-server), before the server-side HTTP/2 tests rely on it: requests
// on concurrent streams, bodies, trailers, resets, flow control, GOAWAY, raw frames, and the
// HPACK builders (checked with nghttp2's own decoder). Over plain TCP (prior knowledge) and
// TLS (ALPN h2). Each test starts its own nghttpd on a free port, in a second or less.
#include "support/h2_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certs.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

const std::string nghttpd_path = "/usr/sbin/nghttpd";

/// A port nobody listens on now (the kernel's pick for a socket bound to port 0).
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string numbered_lines(int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += "line " + std::to_string(i) + "\n";
  return text;
}

/// nghttpd on 127.0.0.1, serving a temp dir with /small.txt (16 KB) and /big.txt (1 MB).
struct nghttpd {
  temp_dir docs{"h2client"};
  std::uint16_t port = free_port();
  std::string small = numbered_lines(1500);
  std::string big = numbered_lines(80000);
  std::optional<child_process> process;  // (movable, not assignable)

  explicit nghttpd(bool tls = false, std::vector<std::string> options = {}) {
    std::ofstream{docs.path / "small.txt"} << small;
    std::ofstream{docs.path / "big.txt"} << big;
    options.insert(options.end(), {"-a", "127.0.0.1", "-d", docs.path.string()});
    if (!tls)
      options.push_back("--no-tls");
    options.push_back(std::to_string(port));
    if (tls) {
      options.push_back(test_certs::server_key());
      options.push_back(test_certs::server_cert());
    }
    process.emplace(spawn_process(nghttpd_path, options));
    // Listening once a connection succeeds (nghttpd prints nothing when it is ready).
    for (auto until = std::chrono::steady_clock::now() + 5s;;) {
      try {
        ::close(connect_loopback(port));
        return;
      } catch (const std::runtime_error&) {
        if (std::chrono::steady_clock::now() > until)
          throw std::runtime_error("nghttpd did not start: "
                                   + read_until(process->err, "\n", 100ms));
        std::this_thread::sleep_for(20ms);
      }
    }
  }
};

/// Debian's nghttpd is in nghttp2-server (scripts/install-deps.sh installs it).
bool have_nghttpd() {
  if (std::filesystem::exists(nghttpd_path))
    return true;
  WARN("skipped: no " << nghttpd_path << " (Debian package nghttp2-server)");
  return false;
}

/// The fields nghttp2's own HPACK decoder reads from `block` (a fresh decoder).
name_value hpack_decode(const std::string& block) {
  nghttp2_hd_inflater* inflater = nullptr;
  nghttp2_hd_inflate_new(&inflater);
  name_value fields;
  auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
  std::size_t left = block.size();
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    auto n = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
    if (n < 0) {
      nghttp2_hd_inflate_del(inflater);
      throw std::runtime_error(std::string{"HPACK: "} + nghttp2_strerror(static_cast<int>(n)));
    }
    in += n;
    left -= static_cast<std::size_t>(n);
    if (flags & NGHTTP2_HD_INFLATE_EMIT)
      fields.emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                          std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
    if (flags & NGHTTP2_HD_INFLATE_FINAL)
      break;
  }
  nghttp2_hd_inflate_del(inflater);
  return fields;
}

}  // namespace

TEST_CASE("h2 client: a GET with prior knowledge, and the server's SETTINGS", "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server{false, {"-m", "7"}};
  h2_client c{server.port, transport::plain()};
  REQUIRE(c.connected());
  CHECK(c.remote_max_concurrent_streams() == 7);
  CHECK(c.tls() == nullptr);

  auto id = c.submit("GET", "/small.txt");
  CHECK(id == 1);
  REQUIRE(c.wait_for(id, 5s));
  const auto& r = c.response(id);
  CHECK(r.status == 200);
  CHECK(r.ended);
  CHECK_FALSE(r.reset);
  CHECK(r.closed);
  CHECK(r.close_error == NGHTTP2_NO_ERROR);
  CHECK(r.header("content-length") == std::to_string(server.small.size()));
  CHECK(r.body == server.small);
  std::string pieces;
  for (const auto& [at, piece] : r.arrivals)
    pieces += piece;
  CHECK(pieces == r.body);

  auto missing = c.submit("GET", "/nothing-here");
  REQUIRE(c.wait_for(missing, 5s));
  CHECK(c.response(missing).status == 404);
  CHECK(missing == 3);
  CHECK_FALSE(c.goaway_error());
  CHECK_FALSE(c.closed());
  CHECK_THROWS_AS(c.response(99), std::out_of_range);
}

TEST_CASE("h2 client: concurrent streams on one connection", "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server;
  h2_client c{server.port, transport::plain()};
  REQUIRE(c.connected());
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(c.submit("GET", "/big.txt"));
  ids.push_back(c.submit("GET", "/small.txt"));
  CHECK(ids == std::vector<std::int32_t>{1, 3, 5, 7, 9});
  REQUIRE(c.run_until(
    [&] {
      return std::all_of(ids.begin(), ids.end(), [&](auto id) { return c.response(id).done(); });
    },
    10s));
  for (auto id : ids) {
    CHECK(c.response(id).status == 200);
    CHECK(c.response(id).ended);
  }
  CHECK(c.response(1).body == server.big);
  CHECK(c.response(9).body == server.small);
  // The streams were in flight together: the last big one began before the first ended.
  CHECK(c.response(7).arrivals.front().first < c.response(1).arrivals.back().first);
}

TEST_CASE("h2 client: request bodies, whole and in pieces, and trailers", "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server{false, {"--echo-upload", "--trailer=x-checksum: abc"}};
  h2_client c{server.port, transport::plain()};
  REQUIRE(c.connected());

  std::string payload(100000, 'p');  // more than one window: flow control on the way out
  auto whole = c.submit("POST", "/echo", {{"content-type", "text/plain"}}, payload);
  REQUIRE(c.wait_for(whole, 5s));
  CHECK(c.response(whole).status == 200);
  CHECK(c.response(whole).body == payload);
  CHECK(c.response(whole).trailers.at("x-checksum") == "abc");
  CHECK(c.response(whole).headers.count("x-checksum") == 0);

  auto open = c.submit_open("POST", "/echo");
  c.run_for(100ms);
  CHECK(c.response(open).status == 0);  // nghttpd answers an upload once it ended
  c.send_body(open, "first ");
  c.send_body(open, "second", true);
  CHECK_THROWS_AS(c.send_body(open, "more"), std::logic_error);
  REQUIRE(c.wait_for(open, 5s));
  CHECK(c.response(open).body == "first second");
}

TEST_CASE("h2 client: a slow reader's window, a reset, and the connection lives on", "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server;
  h2_options options;
  options.auto_consume = false;
  h2_client c{server.port, transport::plain(), 10s, options};
  REQUIRE(c.connected());

  auto id = c.submit("GET", "/big.txt");
  auto& r = c.response(id);
  // The stream's window (65535) fills, and nothing more comes until the test consumes.
  REQUIRE(c.run_until([&] { return r.body.size() == 65535; }, 5s));
  c.run_for(200ms);
  CHECK(r.body.size() == 65535);
  CHECK(c.unconsumed(id) == 65535);
  c.consume(id, 40000);  // more than half the window: a WINDOW_UPDATE goes out
  REQUIRE(c.run_until([&] { return r.body.size() == 65535 + 40000; }, 5s));

  c.reset_stream(id);
  REQUIRE(c.wait_for(id, 5s));
  CHECK(r.reset == NGHTTP2_CANCEL);
  CHECK_FALSE(r.reset_by_server);
  CHECK_FALSE(r.ended);
  CHECK(r.body.size() < server.big.size());

  // The reset stream's unread bytes went back to the connection's window: another response
  // has room on it.
  auto next = c.submit("GET", "/small.txt");
  REQUIRE(c.wait_for(next, 5s));
  CHECK(c.response(next).body == server.small);
  CHECK_FALSE(c.closed());
}

TEST_CASE("h2 client: a zero window opened by hand", "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server;
  h2_options options;
  options.initial_window = 0;
  options.auto_consume = false;
  h2_client c{server.port, transport::plain(), 10s, options};
  REQUIRE(c.connected());

  auto id = c.submit("GET", "/small.txt");
  auto& r = c.response(id);
  REQUIRE(c.run_until([&] { return r.status != 0; }, 5s));  // HEADERS are not flow controlled
  c.run_for(200ms);
  CHECK(r.body.empty());

  c.window_update(id, 1000);
  REQUIRE(c.run_until([&] { return r.body.size() == 1000; }, 5s));
  c.run_for(100ms);
  CHECK(r.body.size() == 1000);

  c.set_auto_consume(true);  // consumes the 1000: the window reopens, and stays open
  REQUIRE(c.wait_for(id, 5s));
  CHECK(r.body == server.small);
}

TEST_CASE("h2 client: PING, and the server's GOAWAY after a protocol error", "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server;
  h2_client c{server.port, transport::plain()};
  REQUIRE(c.connected());
  c.ping();
  CHECK(c.run_until([&] { return c.pings_acked() == 1; }, 5s));

  // DATA on stream 0 is a connection error (RFC 9113 6.1).
  REQUIRE(c.send_raw(h2_data(0, "x")));
  REQUIRE(c.run_until([&] { return c.goaway_error().has_value(); }, 5s));
  CHECK(*c.goaway_error() == NGHTTP2_PROTOCOL_ERROR);
  CHECK(c.goaway_last_stream() == 0);
  CHECK(c.run_until([&] { return c.closed(); }, 5s));
}

TEST_CASE("h2 raw: a malformed preface and a preface without SETTINGS end the connection",
          "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server;
  SECTION("the magic misspelt") {
    h2_raw raw{server.port, transport::plain()};
    raw.send("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + h2_settings());
    // nghttpd sent its SETTINGS at once, then ends the connection without a GOAWAY (nghttp2
    // 1.52 drops a bad magic silently).
    CHECK(raw.closed_within(5s));
    CHECK(raw.find(NGHTTP2_SETTINGS));
  }
  SECTION("a PING where SETTINGS must come") {
    h2_raw raw{server.port, transport::plain()};
    raw.send(h2_preface() + h2_ping(42));
    auto goaway = raw.wait_for_goaway(5s);
    REQUIRE(goaway);
    CHECK(goaway->error_code() == NGHTTP2_PROTOCOL_ERROR);
    CHECK(goaway->last_stream() == 0);
    CHECK(raw.closed_within(5s));
  }
}

TEST_CASE("h2 raw: frames built by hand make a request, with CONTINUATION and RST_STREAM",
          "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server;
  h2_raw raw{server.port, transport::plain()};
  REQUIRE(raw.handshake({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}}));
  CHECK(raw.wait_for_frame(NGHTTP2_SETTINGS, 5s));

  // A header block split over HEADERS and two CONTINUATIONs.
  auto block = hpack_request("GET", "/small.txt", "http", "127.0.0.1", {{"x-pad", "1234"}});
  raw.send(h2_headers(1, block.substr(0, 10), true, false)
           + h2_continuation(1, block.substr(10, 10), false)
           + h2_continuation(1, block.substr(20), true));
  REQUIRE(raw.run_until(
    [&] {
      auto frames = raw.frames();
      return std::any_of(frames.begin(), frames.end(), [](const h2_frame_in& f) {
        return f.type == NGHTTP2_DATA && f.stream == 1 && (f.flags & NGHTTP2_FLAG_END_STREAM);
      });
    },
    5s));
  CHECK(raw.find(NGHTTP2_HEADERS, 1));
  std::string body;
  for (const auto& f : raw.frames())
    if (f.type == NGHTTP2_DATA && f.stream == 1)
      body += f.payload;
  CHECK(body == server.small);

  // Rapid reset's shape (three streams): nghttpd takes it; the connection still works.
  raw.send(h2_rapid_reset(3, 3, hpack_request("GET", "/big.txt")));
  raw.send(h2_ping(7));
  auto pong = raw.wait_for_frame(NGHTTP2_PING, 5s);
  REQUIRE(pong);
  CHECK(pong->flags == NGHTTP2_FLAG_ACK);
  CHECK(pong->payload == std::string("\0\0\0\0\0\0\0\7", 8));
  CHECK_FALSE(raw.find(NGHTTP2_GOAWAY));

  // Reusing a closed stream's ID is a connection error (RFC 9113 5.1.1): STREAM_CLOSED
  // from nghttpd, with the last stream it took.
  raw.send(h2_headers(5, hpack_request()));
  auto goaway = raw.wait_for_goaway(5s);
  REQUIRE(goaway);
  CHECK(goaway->error_code() == NGHTTP2_STREAM_CLOSED);
  CHECK(goaway->last_stream() == 7);
  CHECK(raw.closed_within(5s));
}

TEST_CASE("h2 builders: HPACK blocks decode as intended", "[h2client]") {
  // Long strings take multi-byte integers (RFC 7541 5.1).
  auto fields = hpack_decode(
    hpack_request("POST", "/p", "https", "example", {{"x-long", std::string(300, 'v')}}));
  CHECK(fields
        == name_value{{":method", "POST"},
                      {":scheme", "https"},
                      {":authority", "example"},
                      {":path", "/p"},
                      {"x-long", std::string(300, 'v')}});
  CHECK(hpack_integer(10, 5) == "\x0a");
  CHECK(hpack_integer(1337, 5) == "\x1f\x9a\x0a");  // RFC 7541 C.1.2
  CHECK(hpack_index(62) == "\xbe");

  // The bomb: a block of about 5 KB that decodes to 2000 fields of 4000 bytes (8 MB).
  auto bomb = hpack_bomb(2000);
  CHECK(bomb.size() < 6100);
  auto decoded = hpack_decode(bomb);
  REQUIRE(decoded.size() == 4 + 1 + 2000);
  CHECK(decoded.back() == std::pair<std::string, std::string>{"x-bomb", std::string(4000, 'a')});
}

TEST_CASE("h2 client and h2 raw over TLS: ALPN h2", "[h2client]") {
  if (!have_nghttpd())
    return;
  nghttpd server{true};
  h2_client c{server.port, transport::over_tls()};
  REQUIRE(c.connected());
  REQUIRE(c.tls());
  CHECK(c.tls()->alpn() == "h2");
  auto id = c.submit("GET", "/big.txt");
  REQUIRE(c.wait_for(id, 10s));
  CHECK(c.response(id).status == 200);
  CHECK(c.response(id).body == server.big);

  h2_raw raw{server.port, transport::over_tls()};
  CHECK(raw.tls()->alpn() == "h2");
  REQUIRE(raw.handshake());
  raw.send(h2_headers(1, hpack_request("GET", "/small.txt", "https")));
  auto headers = raw.wait_for_frame(NGHTTP2_HEADERS, 5s, 1);
  CHECK(headers);
}
