// The demo server with HTTPS, as a user runs it: every endpoint over TLS, SIGHUP reloading the
// pair, and the start-up errors a wrong certificate option gets. (Every check of
// test_demo_endpoints.cpp also runs over HTTPS: tests/demo/CMakeLists.txt registers them once
// more with FASTACTOR_TEST_TLS=1.)
#include "support/demo_bodies.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certs.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const transport https = transport::over_tls();

std::vector<std::string> tls_args(const std::string& cert = test_certs::server_cert(),
                                  const std::string& key = test_certs::server_key()) {
  return {"--port=0", "--access-log=0", "--tls-cert=" + cert, "--tls-key=" + key};
}

/// A demo server that fails to start: its exit code and all it said on stderr.
std::pair<int, std::string> failed_start(std::vector<std::string> args) {
  auto c = spawn_process(DEMO_SERVER_PATH, std::move(args));
  auto err = read_until(c.err, "(never said)", 10s);  // until it exits and closes stderr
  return {c.wait_exit(10s), err};
}

/// What the server says on stderr about a SIGHUP: the line that begins with its name.
std::string hangup_line(const child_process& c) {
  std::string said;
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until;) {
    said += read_until(c.err, "\n", 1s);
    auto at = said.find("demo_server: SIGHUP");
    if (at != std::string::npos && said.find('\n', at) != std::string::npos)
      return said.substr(at, said.find('\n', at) - at);
  }
  return said;
}

}  // namespace

SCENARIO("demo_server with --tls-cert serves every endpoint over HTTPS", "[process][tls]") {
  auto c = spawn_process(DEMO_SERVER_PATH, tls_args());
  auto line = read_until(c.out, "\n", 10s);
  REQUIRE(line.rfind("listening on https://127.0.0.1:", 0) == 0);
  auto port = port_in(line);
  REQUIRE(port != 0);
  auto get = [&](const std::string& target) { return http_get(port, https, target); };

  CHECK_THAT(get("/").body, Contains("<html"));
  CHECK(get("/hello").body == "ok");
  auto stream = get("/stream?n=100&size=1000");
  CHECK((stream.complete && stream.chunked && stream.body.size() == 100'000));
  CHECK(get("/concurrent/basic").body.size() == 5 * std::string{"Worker 0 response\n"}.size());
  CHECK(is_advanced_body(get("/concurrent/advanced").body));
  CHECK(get("/parallel/execute").body == "Task 1 completed\nTask 2 completed\n");
  auto error = get("/concurrent/error");
  CHECK(error.status == 500);
  CHECK(json::parse(error.body)["errors"].size() == 3);
  CHECK(get("/stream/concurrent").body.size() > 0);
  auto sse = get("/stream/sse?count=3&interval_ms=10");
  CHECK(sse.header("content-type").rfind("text/event-stream", 0) == 0);
  CHECK_THAT(sse.body, Contains("data: "));
  auto ndjson = get("/stream/ndjson");
  CHECK(ndjson.status == 200);
  CHECK_THAT(ndjson.body, Contains("summary"));
  CHECK_THAT(get("/metrics").body, Contains("fastactor_tls_handshakes_total"));
  CHECK(get("/distributed/stream").status == 503);  // no worker nodes
  CHECK(json::parse(get("/distributed/nodes").body)["nodes"].empty());

  AND_THEN("a plain HTTP request gets a readable 400 instead") {
    auto plain = http_get(port, transport::plain(), "/hello");
    CHECK(plain.status == 400);
    CHECK_THAT(plain.body, Contains("HTTPS"));
  }
  c.signal(SIGTERM);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("SIGHUP makes demo_server reload its certificate", "[process][tls]") {
  temp_dir dir{"fastactor-demo-tls"};
  auto cert = dir.path / "cert.pem", key = dir.path / "key.pem";
  fs::copy_file(test_certs::server_cert(), cert);
  fs::copy_file(test_certs::server_key(), key);
  auto c = spawn_process(DEMO_SERVER_PATH, tls_args(cert.string(), key.string()));
  auto port = port_in(read_until(c.out, "\n", 10s));
  REQUIRE(port != 0);
  http_client open_connection{port, https};
  REQUIRE(open_connection.get("/hello").body == "ok");

  WHEN("the files hold another CA's pair and it gets SIGHUP") {
    fs::copy_file(test_certs::other_cert(), cert, fs::copy_options::overwrite_existing);
    fs::copy_file(test_certs::other_key(), key, fs::copy_options::overwrite_existing);
    c.signal(SIGHUP);
    auto said = hangup_line(c);
    THEN("it says so, new clients get the new certificate, the open connection still works") {
      CHECK_THAT(said, Contains("SIGHUP: reloaded"));
      CHECK_THAT(said, Contains(cert.string()));
      tls_options other;
      other.ca_file = test_certs::other_ca();
      http_client fresh{port, transport::over_tls(other)};
      CHECK_THAT(fresh.tls()->peer_subject(), Contains("CN=node"));
      CHECK(fresh.get("/hello").body == "ok");
      CHECK(open_connection.get("/hello").body == "ok");
    }
  }
  WHEN("the certificate file is broken and it gets SIGHUP") {
    std::ofstream{cert} << "garbage\n";
    c.signal(SIGHUP);
    auto said = hangup_line(c);
    THEN("it refuses, naming the file, and keeps serving the old certificate") {
      CHECK_THAT(said, Contains("reload refused"));
      CHECK_THAT(said, Contains(cert.string()));
      http_client fresh{port, https};
      CHECK_THAT(fresh.tls()->peer_subject(), Contains("CN=server"));
      CHECK(fresh.get("/hello").body == "ok");
    }
  }
  c.signal(SIGTERM);
  CHECK(c.wait_exit(10s) == 0);
}

SCENARIO("demo_server refuses to start with TLS options it cannot use", "[process][tls]") {
  GIVEN("a certificate file that does not exist") {
    auto [code, err] = failed_start(tls_args("/nonexistent/missing.pem"));
    CHECK(code == 1);
    CHECK_THAT(err, Contains("demo_server: "));
    CHECK_THAT(err, Contains("missing.pem"));
  }
  GIVEN("a certificate and a key that do not belong together") {
    auto [code, err] = failed_start(tls_args(test_certs::server_cert(), test_certs::other_key()));
    CHECK(code == 1);
    CHECK_THAT(err, Contains("does not belong"));
    CHECK_THAT(err, Contains(test_certs::other_key()));
  }
  GIVEN("a certificate without its key") {
    auto [code, err] = failed_start({"--port=0", "--tls-cert=" + test_certs::server_cert()});
    CHECK(code == 2);
    CHECK_THAT(err, Contains("--tls-cert needs --tls-key"));
  }
  GIVEN("a minimum TLS version it does not know") {
    auto args = tls_args();
    args.push_back("--tls-min-version=1.1");
    auto [code, err] = failed_start(args);
    CHECK(code == 2);
    CHECK_THAT(err, Contains("tls-min-version"));
  }
}
