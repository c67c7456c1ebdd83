// The demo server over HTTP/2, as a user reaches it: every endpoint (the seed's five included)
// with curl — `--http2-prior-knowledge` on the plain port, `--http2` (ALPN h2) over TLS — and
// a burst of multiplexed requests with h2load, Debian's HTTP/2 load generator.
#include "support/demo_bodies.hpp"
#include "support/process.hpp"
#include "support/test_certs.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using json = nlohmann::json;

namespace {

struct command_result {
  int exit = -1;
  std::string out;
};

/// Runs a shell command line and collects what it prints.
command_result run(const std::string& command) {
  command_result r;
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe)
    return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
    r.out.append(buf, n);
  r.exit = ::pclose(pipe);
  return r;
}

/// What curl got for one request: the protocol and status (from -w), and the body.
struct curl_result {
  std::string version, status, body;
};

curl_result curl(const std::string& base, const std::string& target, const std::string& flags) {
  auto r = run("curl -sS --max-time 20 " + flags + " -w '\\n%{http_version} %{http_code}' '" + base
               + target + "'");
  curl_result c;
  auto last = r.out.rfind('\n');
  if (last == std::string::npos)
    return c;
  c.body = r.out.substr(0, last);
  auto meta = r.out.substr(last + 1);
  auto space = meta.find(' ');
  c.version = meta.substr(0, space);
  c.status = space == std::string::npos ? "" : meta.substr(space + 1);
  return c;
}

/// Every demo endpoint over HTTP/2 with curl `flags`, against `base` (scheme://host:port).
void check_every_endpoint(const std::string& base, const std::string& flags) {
  auto get = [&](const std::string& target) {
    auto r = curl(base, target, flags);
    INFO(target << ": " << r.version << " " << r.status);
    CHECK(r.version == "2");
    return r;
  };
  CHECK_THAT(get("/").body, Contains("<html"));
  CHECK(get("/hello").body == "ok");
  CHECK(get("/stream?n=100&size=1000").body.size() == 100'000);
  CHECK(get("/concurrent/basic").body.size() == 5 * std::string{"Worker 0 response\n"}.size());
  CHECK(is_advanced_body(get("/concurrent/advanced").body));
  CHECK(get("/parallel/execute").body == "Task 1 completed\nTask 2 completed\n");
  auto error = get("/concurrent/error");
  CHECK(error.status == "500");
  CHECK(json::parse(error.body)["errors"].size() == 3);
  CHECK_THAT(get("/stream/concurrent").body, Contains("worker"));
  CHECK_THAT(get("/stream/sse?count=3&interval_ms=10").body, Contains("data: "));
  CHECK_THAT(get("/stream/ndjson").body, Contains("summary"));
  CHECK_THAT(get("/metrics").body, Contains("fastactor_http2_streams_total"));
  CHECK(get("/distributed/stream").status == "503");  // no worker nodes
}

}  // namespace

SCENARIO("demo_server speaks HTTP/2 with prior knowledge on its plain port", "[process][http2]") {
  auto c = spawn_process(DEMO_SERVER_PATH, {"--port=0", "--access-log=0"});
  auto port = port_in(read_until(c.out, "\n", 10s));
  REQUIRE(port != 0);
  auto base = "http://127.0.0.1:" + std::to_string(port);
  check_every_endpoint(base, "--http2-prior-knowledge");
  AND_THEN("h2load's multiplexed requests are all answered") {
    auto r = run("h2load -n 2000 -c 4 -m 10 " + base + "/hello");
    CHECK_THAT(r.out, Contains("2000 succeeded, 0 failed, 0 errored"));
    CHECK_THAT(r.out, Contains("status codes: 2000 2xx"));
  }
  AND_THEN("a plain HTTP/1.1 client is still served HTTP/1.1") {
    auto r = curl(base, "/hello", "--http1.1");
    CHECK(r.version == "1.1");
    CHECK(r.body == "ok");
  }
  c.signal(SIGTERM);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("demo_server with --tls-cert speaks HTTP/2 to clients that offer h2", "[process][http2]") {
  auto c = spawn_process(DEMO_SERVER_PATH,
                         {"--port=0", "--access-log=0", "--tls-cert=" + test_certs::server_cert(),
                          "--tls-key=" + test_certs::server_key()});
  auto port = port_in(read_until(c.out, "\n", 10s));
  REQUIRE(port != 0);
  auto base = "https://127.0.0.1:" + std::to_string(port);
  check_every_endpoint(base, "--http2 --cacert " + test_certs::ca());
  AND_THEN("h2load over TLS gets every answer") {
    auto r = run("h2load -n 2000 -c 4 -m 10 " + base + "/hello");
    CHECK_THAT(r.out, Contains("2000 succeeded, 0 failed, 0 errored"));
    CHECK_THAT(r.out, Contains("Application protocol: h2"));
  }
  c.signal(SIGTERM);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("demo_server's access log names HTTP/2.0 for requests on HTTP/2 streams",
         "[process][http2]") {
  auto c = spawn_process(DEMO_SERVER_PATH, {"--port=0"});
  auto port = port_in(read_until(c.out, "\n", 10s));
  REQUIRE(port != 0);
  auto base = "http://127.0.0.1:" + std::to_string(port);
  CHECK(curl(base, "/hello", "--http2-prior-knowledge").body == "ok");
  CHECK(curl(base, "/hello", "--http1.1").body == "ok");
  c.signal(SIGTERM);  // flushes the log
  auto log = read_until(c.out, "(never said)", 10s);
  CHECK_THAT(log, Contains("\"GET /hello HTTP/2.0\" 200 2"));
  CHECK_THAT(log, Contains("\"GET /hello HTTP/1.1\" 200 2"));
  CHECK(c.wait_exit(10s) == 0);
}
