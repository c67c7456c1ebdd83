// The demo as a user runs it across machines: demo_server and two worker_node processes
// (examples/), the chunks of /distributed/stream coming from the nodes.
#include "support/http_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <set>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

struct node {
  child_process proc;
  std::uint16_t port = 0;
  std::string name() const { return "127.0.0.1:" + std::to_string(port); }
};

/// A worker_node; `tls`: extra arguments (--node-tls-*), its first line must then say tls://.
node start_node(const std::vector<std::string>& tls = {}) {
  std::vector<std::string> args{"--port=0", "--node-heartbeat-ms=100", "--node-timeout-ms=1000"};
  args.insert(args.end(), tls.begin(), tls.end());
  node n{spawn_process(WORKER_NODE_PATH, args)};
  auto line = read_until(n.proc.out, "\n", 10s);
  n.port = port_in(line);
  REQUIRE(n.port != 0);
  CHECK(line.find(tls.empty() ? "tcp://" : "tls://") != std::string::npos);
  return n;
}

/// The --node-tls-* options for `name`'s certificate from the tests' CA.
std::vector<std::string> node_tls_arguments(const std::string& name) {
  std::string dir = TEST_CERTS_DIR "/ca/";
  return {"--node-tls-cert=" + dir + name + ".pem", "--node-tls-key=" + dir + name + ".key",
          "--node-tls-ca=" + dir + "ca.pem"};
}

bool all_chunks_right(const std::string& body, std::size_t n, std::size_t size) {
  if (body.size() != n * size)
    return false;
  for (std::size_t i = 0; i < n; ++i)
    if (body.compare(i * size, size, std::string(size, static_cast<char>('a' + i % 26))) != 0)
      return false;
  return true;
}

}  // namespace

SCENARIO("demo_server and two worker_node processes, as a user runs them", "[remote][process]") {
  auto a = start_node(), b = start_node();
  auto server =
    spawn_process(DEMO_SERVER_PATH,
                  {"--port=0", "--access-log=0", "--worker-nodes=" + a.name() + "," + b.name(),
                   "--node-heartbeat-ms=100", "--node-timeout-ms=1000"});
  auto port = port_in(read_until(server.out, "\n", 10s));
  REQUIRE(port != 0);
  // The nodes connect in the background: wait until /distributed/nodes says both are up.
  auto until = clock_type::now() + 10s;
  while (http_get(port, "/distributed/nodes").body.find("\"up\":false") != std::string::npos
         && clock_type::now() < until)
    std::this_thread::sleep_for(50ms);
  std::set<std::string> used;
  for (int i = 0; i < 4; ++i) {
    auto r = http_get(port, "/distributed/stream?n=300&size=2000");
    CHECK(r.status == 200);
    CHECK(all_chunks_right(r.body, 300, 2000));
    used.insert(r.header("x-worker-node"));
  }
  CHECK(used.size() == 2);
  server.signal(SIGTERM);
  CHECK(server.wait_exit(10s) == 0);
  a.proc.signal(SIGTERM);
  b.proc.signal(SIGTERM);
  CHECK(a.proc.wait_exit(10s) == 0);
  CHECK(b.proc.wait_exit(10s) == 0);
}

SCENARIO("demo_server and worker_node with mutual TLS: the TLS node serves, a plain one is refused",
         "[remote][process][tls]") {
  auto secure = start_node(node_tls_arguments("node")), plain = start_node();
  std::vector<std::string> args{"--port=0", "--access-log=0",
                                "--worker-nodes=" + secure.name() + "," + plain.name(),
                                "--node-heartbeat-ms=100", "--node-timeout-ms=1000"};
  for (auto& o : node_tls_arguments("server"))
    args.push_back(o);
  auto server = spawn_process(DEMO_SERVER_PATH, args);
  auto port = port_in(read_until(server.out, "\n", 10s));
  REQUIRE(port != 0);
  // Wait until /distributed/nodes says the TLS node is up and why the plain one is not.
  nlohmann::json nodes;
  auto until = clock_type::now() + 10s;
  do {
    std::this_thread::sleep_for(50ms);
    nodes = nlohmann::json::parse(http_get(port, "/distributed/nodes").body)["nodes"];
  } while (!(nodes[0]["up"] == true && nodes[1]["last_error"] != "not connected yet")
           && clock_type::now() < until);
  THEN("/distributed/nodes shows the TLS node up and the plain one refused, saying why") {
    CHECK(nodes[0]["up"] == true);
    CHECK(nodes[1]["up"] == false);
    CHECK(nodes[1]["last_error"].get<std::string>().find("does not speak TLS")
          != std::string::npos);
  }
  THEN("every distributed stream comes from the TLS node") {
    for (int i = 0; i < 3; ++i) {
      auto r = http_get(port, "/distributed/stream?n=300&size=2000");
      CHECK(r.status == 200);
      CHECK(r.header("x-worker-node") == secure.name());
      CHECK(all_chunks_right(r.body, 300, 2000));
    }
  }
  server.signal(SIGTERM);
  CHECK(server.wait_exit(10s) == 0);
}

SCENARIO("demo_server refuses incomplete or unreadable node TLS options at start",
         "[remote][process][tls][options]") {
  GIVEN("--node-tls-ca alone") {
    auto server =
      spawn_process(DEMO_SERVER_PATH, {"--port=0", "--node-tls-ca=" TEST_CERTS_DIR "/ca/ca.pem"});
    THEN("it exits with 2, naming what is missing") {
      CHECK(server.wait_exit(10s) == 2);
      CHECK(read_until(server.err, "\n", 1s).find("--node-tls-cert and --node-tls-key are missing")
            != std::string::npos);
    }
  }
  GIVEN("a certificate file that cannot be read") {
    auto opts = node_tls_arguments("server");
    opts[0] = "--node-tls-cert=/no/such/server.pem";
    opts.push_back("--port=0");
    auto server = spawn_process(DEMO_SERVER_PATH, opts);
    THEN("it exits with 2, naming the file") {
      CHECK(server.wait_exit(10s) == 2);
      CHECK(read_until(server.err, "\n", 1s)
              .find("cannot read --node-tls-cert file "
                    "'/no/such/server.pem'")
            != std::string::npos);
    }
  }
}
