// The access-log line: one format for answered requests and refused connections.

#include "protocol/access_log.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

/// What write_access_log prints for `e` (stdout redirected to a pipe for the call).
std::string line_of(const fastactor::access_log_entry& e) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(stdout);
  int saved = ::dup(STDOUT_FILENO);
  ::dup2(fds[1], STDOUT_FILENO);
  fastactor::write_access_log(e);
  fastactor::flush_access_log();
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(fds[1]);
  std::string out;
  char buf[2048];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  return out;
}

}  // namespace

SCENARIO("the access log writes one line per request", "[access_log]") {
  using fastactor::status;
  GIVEN("an answered request") {
    fastactor::access_log_entry e;
    e.peer = "127.0.0.1:5000";
    e.method = "GET";
    e.target = "/hello?x=1";
    e.sent = status::ok;
    e.body_bytes = 2;
    e.duration = std::chrono::microseconds(1234);
    THEN("the line names the peer, the request, the status, the bytes and the time") {
      CHECK(line_of(e) == "127.0.0.1:5000 \"GET /hello?x=1 HTTP/1.1\" 200 2 1.234ms\n");
    }
    WHEN("the client left early over HTTP/1.0") {
      e.version = 10;
      e.sent = status::client_closed_request;
      THEN("it is logged as 499") {
        CHECK(line_of(e) == "127.0.0.1:5000 \"GET /hello?x=1 HTTP/1.0\" 499 2 1.234ms\n");
      }
    }
    WHEN("it came on an HTTP/2 stream") {
      e.version = 20;
      THEN("the protocol is HTTP/2.0") {
        CHECK(line_of(e) == "127.0.0.1:5000 \"GET /hello?x=1 HTTP/2.0\" 200 2 1.234ms\n");
      }
    }
    WHEN("the target is 10 KiB long") {
      std::string target(10 * 1024, 'a');
      e.target = target;
      THEN("the line is cut, still one line") {
        auto line = line_of(e);
        CHECK(line.size() < 1024);
        CHECK(line.back() == '\n');
        CHECK(line.find('\n') == line.size() - 1);
      }
    }
  }
  GIVEN("a connection refused before any request was read") {
    fastactor::access_log_entry e;
    e.sent = status::service_unavailable;
    e.note = "over --max-connections=2";
    THEN("the request line is \"-\" and the note follows the time") {
      CHECK(line_of(e) == "- \"-\" 503 0 0.000ms over --max-connections=2\n");
    }
  }
}
