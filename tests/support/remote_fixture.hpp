#pragma once
// What the remote tests share: test_worker_node processes, a server in this process whose
// /distributed/* routes use them, and a probe that asks a node for its worker counts — plain
// or, given node TLS files, over mutual TLS (tests/test_remote.cpp, tests/test_remote_tls.cpp).

#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_routes.hpp"
#include "support/test_worker_node.hpp"
#include <fastactor/fastactor.hpp>
#include <fastactor/node_pool.hpp>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

namespace testing {

using namespace std::chrono_literals;

/// A test_worker_node process and its port.
struct node {
  child_process proc;
  std::uint16_t port = 0;
  std::string name() const { return "127.0.0.1:" + std::to_string(port); }
};

/// The command line of a test_worker_node with node TLS `tls` (none if empty) and, if given,
/// that many BASP workers (else the node's automatic choice).
inline std::vector<std::string> node_arguments(std::uint16_t port, const fastactor::node_tls& tls,
                                               std::optional<std::size_t> basp_workers = {}) {
  std::vector<std::string> args{"--port=" + std::to_string(port), "--node-heartbeat-ms=100",
                                "--node-timeout-ms=1000"};
  if (basp_workers)
    args.push_back("--node-basp-workers=" + std::to_string(*basp_workers));
  if (tls.enabled())
    args.insert(args.end(),
                {"--node-tls-cert=" + tls.certificate, "--node-tls-key=" + tls.key,
                 "--node-tls-ca=" + tls.ca});
  return args;
}

/// Starts a node and reads its port from its first line ("listening on tcp://..." or, with
/// `tls`, "tls://"); `first_line` gets that line.
inline node start_node(std::uint16_t port = 0, const fastactor::node_tls& tls = {},
                       std::string* first_line = nullptr,
                       std::optional<std::size_t> basp_workers = {}) {
  node n{spawn_process(TEST_WORKER_NODE_PATH, node_arguments(port, tls, basp_workers))};
  auto line = read_until(n.proc.out, "\n", 10s);
  n.port = port_in(line);
  if (first_line)
    *first_line = line;
  REQUIRE(n.port != 0);
  return n;
}

/// The local proxy of the last remote worker /test/deaf spawned (set on an I/O thread, read
/// by the test).
struct proxy_slot {
  std::mutex m;
  caf::actor last;
  void set(caf::actor a) {
    std::lock_guard<std::mutex> lock{m};
    last = std::move(a);
  }
  caf::actor get() {
    std::lock_guard<std::mutex> lock{m};
    return last;
  }
};

/// Routes for the node's test worker types (tests/support/test_worker_node.hpp):
/// /test/slow-spawn?delay=MS[&spawn_timeout=MS]: a worker whose spawn takes `delay`;
/// /test/deaf: a worker that writes one line, ignores exits and ticks until killed;
/// /test/quit-slowly: a worker that ends at once but lingers in the node's registry;
/// /test/no-such-type: a worker type the node does not have;
/// /test/ends-unknown-type: a worker that ends with sec::unknown_type as its own reason.
inline void add_test_routes(fastactor::router& r, fastactor::node_pool* pool, proxy_slot* proxy) {
  r.get("/test/slow-spawn", [pool](fastactor::context& ctx) {
    auto delay = ctx.int_param("delay", 1000, 0, 60'000);
    auto spawn_timeout = ctx.int_param("spawn_timeout", 5000, 1, 60'000);
    auto node = pool->next();
    if (!delay || !spawn_timeout || !node)
      return ctx.fail("bad parameters or no node", fastactor::status::service_unavailable);
    fastactor::spawn_remote_worker(ctx, *node, test_node::slow_spawn_type,
                                   caf::make_message(static_cast<std::uint32_t>(*delay)),
                                   std::chrono::milliseconds(*spawn_timeout));
  });
  r.get("/test/deaf", [pool, proxy](fastactor::context& ctx) {
    auto node = pool->next();
    if (!node)
      return ctx.fail("no node", fastactor::status::service_unavailable);
    proxy->set(
      fastactor::spawn_remote_worker(ctx, *node, test_node::deaf_type, caf::make_message()));
  });
  // A worker of `type`, without arguments, on the next node.
  auto spawn_route = [&r, pool](const char* path, const char* type) {
    r.get(path, [pool, type](fastactor::context& ctx) {
      auto node = pool->next();
      if (!node)
        return ctx.fail("no node", fastactor::status::service_unavailable);
      fastactor::spawn_remote_worker(ctx, *node, type, caf::make_message());
    });
  };
  spawn_route("/test/quit-slowly", test_node::quit_slowly_type);
  spawn_route("/test/no-such-type", "fastactor.test.no_such_type");
  spawn_route("/test/ends-unknown-type", test_node::ends_unknown_type);
}

/// A server in this process whose /distributed/* routes use the given nodes.
/// With `tls`, every node is connected with mutual TLS (node_pool through CAF's OpenSSL module);
/// with `basp_workers`, that many threads deserialize (else this machine's default).
struct remote_server {
  explicit remote_server(const std::vector<std::string>& nodes,
                         std::int64_t request_timeout_ms = 60'000,
                         const fastactor::node_tls& tls = {},
                         std::optional<std::size_t> basp_workers = {}) {
    fastactor::configure_remote(
      cfg, {100ms, 1000ms, tls, basp_workers.value_or(fastactor::default_basp_workers())});
    cfg.set("scheduler.max-threads", std::int64_t{2});
    sys = std::make_unique<caf::actor_system>(cfg);
    std::vector<fastactor::node_address> list;
    for (auto& n : nodes) {
      auto colon = n.rfind(':');
      list.push_back(
        {n.substr(0, colon), static_cast<std::uint16_t>(std::stoi(n.substr(colon + 1)))});
    }
    fastactor::node_pool::timing t;
    t.retry = 200ms;
    pool = std::make_shared<fastactor::node_pool>(*sys, list, t);
    fastactor::server_config scfg;
    scfg.port = 0;
    scfg.access_log = false;
    scfg.drain_timeout_ms = 500;
    scfg.request_timeout_ms = request_timeout_ms;
    fastactor::router routes;
    routes.get("/hello", shared_routes::hello);
    routes.get("/distributed/stream", shared_routes::distributed_stream(*pool));
    add_test_routes(routes, pool.get(), &proxy);
    srv = std::make_unique<fastactor::server>(*sys, scfg, std::move(routes));
    srv->start();
  }
  ~remote_server() {
    srv.reset();
    pool.reset();
  }
  std::uint16_t port() const { return srv->port(); }

  proxy_slot proxy;
  fastactor::system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<fastactor::node_pool> pool;
  std::unique_ptr<fastactor::server> srv;
};

/// Asks a node's published actor (test_worker_node's node_info) for its worker counts; over
/// mutual TLS if `sys` has node TLS.
struct node_probe {
  node_probe(caf::actor_system& sys, const node& n) : self(sys) {
    REQUIRE(eventually(
      [&] {
        auto found = fastactor::uses_node_tls(sys)
          ? caf::openssl::remote_actor(sys, "127.0.0.1", n.port)
          : sys.middleman().remote_actor("127.0.0.1", n.port);
        if (found)
          info = *found;
        return static_cast<bool>(found);
      },
      10s));
  }

  std::optional<test_node::worker_counts> counts() {
    std::optional<test_node::worker_counts> result;
    self->request(info, 2s, test_node::live_atom::value)
      .receive(
        [&](std::uint64_t live, std::uint64_t spawned) {
          result = test_node::worker_counts{live, spawned};
        },
        [](caf::error&) {});
    return result;
  }

  /// Waits until the node has created `spawned` workers and none of them is alive.
  bool all_stopped(std::uint64_t spawned, std::chrono::milliseconds timeout) {
    return eventually(
      [&] {
        auto c = counts();
        if (c && c->spawned == spawned && c->live == 0)
          return true;
        std::this_thread::sleep_for(20ms);
        return false;
      },
      timeout);
  }

  caf::scoped_actor self;
  caf::actor info;
};

/// The pool as a line ("host:port up|down (why), ..."), for a failed check's report.
inline std::string describe(const std::vector<fastactor::node_status>& nodes) {
  std::string out;
  for (auto& n : nodes)
    out += n.address.name() + (n.up ? " up" : " down (" + n.last_error + ")") + ", connects "
      + std::to_string(n.connects) + "; ";
  return out;
}

inline bool all_chunks_right(const std::string& body, std::size_t n, std::size_t size) {
  if (body.size() != n * size)
    return false;
  for (std::size_t i = 0; i < n; ++i)
    if (body.compare(i * size, size, std::string(size, static_cast<char>('a' + i % 26))) != 0)
      return false;
  return true;
}

/// The kill -9 check, plain or over mutual TLS (`node_tls` for the nodes, `server_tls` for the
/// server; empty: plain): one of two nodes dies while it streams to a slow client; the response
/// ends with the node's failure in its error trailer, and requests go to the survivor.
inline void check_node_killed_mid_stream(const fastactor::node_tls& node_tls = {},
                                         const fastactor::node_tls& server_tls = {}) {
  auto a = start_node(0, node_tls), b = start_node(0, node_tls);
  remote_server srv{{a.name(), b.name()}, 60'000, server_tls};
  REQUIRE(srv.pool->wait_until_up(2, 10s));
  // A slow client keeps the stream running: the producer waits for flow-control acks.
  http_client c{srv.port(), 10s, 4096};
  c.send_get("/distributed/stream?n=100000&size=16384&window=4");
  auto head = c.read_available(500ms);
  REQUIRE(head.find("X-Worker-Node: ") != std::string::npos);
  auto victim = head.find(a.name()) != std::string::npos ? &a : &b;
  auto survivor = victim == &a ? &b : &a;
  victim->proc.signal(SIGKILL);
  THEN("the response ends with the node's failure in its error trailer") {
    std::string rest;
    auto until = clock_type::now() + 10s;
    while (rest.find("Fastactor-Errors: [{") == std::string::npos && clock_type::now() < until) {
      auto more = c.read_available(200ms);
      rest += more.size() > 4096 ? more.substr(more.size() - 4096) : more;
    }
    CHECK(rest.find("Fastactor-Errors: [{") != std::string::npos);
    CHECK(rest.find("node " + victim->name()) != std::string::npos);
  }
  AND_THEN("requests go to the surviving node") {
    REQUIRE(srv.srv->wait_for([](auto& s) { return s.live_workers == 0; }, 10s));
    for (int i = 0; i < 3; ++i) {
      auto r = http_get(srv.port(), "/distributed/stream?n=10&size=100");
      INFO(r.body << " / pool: " << describe(srv.pool->status()));
      CHECK(r.status == 200);
      CHECK(r.header("x-worker-node") == survivor->name());
      CHECK(all_chunks_right(r.body, 10, 100));
    }
  }
}

}  // namespace testing
