// The demo as a user runs it across machines: demo_server and two worker_node processes
// (examples/), the chunks of /distributed/stream coming from the nodes.
#include "support/http_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

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

node start_node() {
  node n{spawn_process(WORKER_NODE_PATH,
                       {"--port=0", "--node-heartbeat-ms=100", "--node-timeout-ms=1000"})};
  n.port = port_in(read_until(n.proc.out, "\n", 10s));
  REQUIRE(n.port != 0);
  return n;
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
