// Workers on other machines: two test_worker_node processes and a server on 127.0.0.1. The
// chunks come from the nodes through CAF's middleman straight to the request's writer.
// Faults: a node killed mid-stream, a node that hangs (heartbeats), a node unreachable at
// start (closed port, and a host that never answers the TCP connect), a node that comes back.
// Orphans: a request that ends early (client gone, deadline, a spawn still pending or too
// slow) leaves no worker alive on the node, even one that ignores exits; the node's own
// worker counts prove it.
#include "actors/internal_messages.hpp"
#include "actors/remote_worker_host.hpp"
#include "support/remote_fixture.hpp"

#include <csignal>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

using namespace testing;
using namespace std::chrono_literals;

SCENARIO("remote workers stream every byte, spread over the nodes", "[remote][process]") {
  auto a = start_node(), b = start_node();
  remote_server srv{{a.name(), b.name()}};
  REQUIRE(srv.pool->wait_until_up(2, 10s));
  std::set<std::string> used;
  for (int i = 0; i < 4; ++i) {
    auto r = http_get(srv.port(), "/distributed/stream?n=200&size=1000");
    CHECK(r.status == 200);
    CHECK(r.complete);
    CHECK(all_chunks_right(r.body, 200, 1000));
    CHECK(r.trailers.at("fastactor-errors") == "[]");
    used.insert(r.header("x-worker-node"));
  }
  CHECK(used == std::set<std::string>{a.name(), b.name()});
  AND_THEN("a large stream crosses the network with flow control") {
    auto r = http_get(srv.port(), "/distributed/stream?n=2048&size=16384&window=16");
    CHECK(r.complete);
    CHECK(all_chunks_right(r.body, 2048, 16384));
  }
}

SCENARIO("every byte crosses in order whichever thread deserializes it", "[remote][process]") {
  for (std::size_t workers : {0, 2}) {
    GIVEN("a node and a server with " + std::to_string(workers) + " BASP workers each") {
      auto a = start_node(0, {}, nullptr, workers);
      remote_server srv{{a.name()}, 60'000, {}, workers};
      REQUIRE(srv.pool->wait_until_up(1, 10s));
      THEN("CAF was told so") {
        CHECK(caf::get_or(srv.sys->config(), "middleman.workers", std::size_t{999}) == workers);
      }
      WHEN("32 MiB cross with flow control, 32 writes in flight") {
        auto r = http_get(srv.port(), "/distributed/stream?n=2048&size=16384&window=32");
        THEN("each chunk arrives whole and in its place") {
          CHECK(r.status == 200);
          CHECK(r.complete);
          CHECK(all_chunks_right(r.body, 2048, 16384));
          CHECK(r.trailers.at("fastactor-errors") == "[]");
        }
      }
    }
  }
}

SCENARIO("a worker node refuses a BASP worker count out of range", "[remote][process][options]") {
  auto n = spawn_process(TEST_WORKER_NODE_PATH, {"--port=0", "--node-basp-workers=65"});
  CHECK(n.wait_exit(10s) == 2);
  CHECK(read_until(n.err, "\n", 1s).find("--node-basp-workers -1..64") != std::string::npos);
}

SCENARIO("a node killed mid-stream fails that response, and the other node serves on",
         "[remote][process][faults]") {
  check_node_killed_mid_stream();
}

SCENARIO("a worker that ends as the server takes it on leaves its node serving",
         "[remote][process][faults]") {
  // CAF 0.17.6 deadlocks a node's network thread when a remote link reaches an actor that has
  // ended but is still registered; fastactor sends no remote links (remote_worker_host.hpp).
  GIVEN("a node whose worker ends at once and stays registered, ended, for a second") {
    auto a = start_node();
    remote_server srv{{a.name()}};
    REQUIRE(srv.pool->wait_until_up(1, 10s));
    node_probe probe{*srv.sys, a};
    WHEN("a request spawns that worker") {
      auto r = http_get(srv.port(), "/test/quit-slowly");
      THEN("the response ends at once, complete and empty") {
        CHECK(r.status == 200);
        CHECK(r.complete);
        CHECK(r.body.empty());
      }
      AND_THEN("the node still answers and streams, on the same link") {
        CHECK(probe.all_stopped(1, 10s));
        auto s = http_get(srv.port(), "/distributed/stream?n=10&size=100");
        CHECK(s.status == 200);
        CHECK(all_chunks_right(s.body, 10, 100));
        CHECK(srv.pool->status().at(0).connects == 1);
      }
    }
  }
}

SCENARIO("a worker host that nobody watches leaves once its worker ended",
         "[remote][process][faults]") {
  // A peer that reaches the node's port may spawn hosts itself; one that never says it watches
  // must not keep a host for ever (remote_worker_host.hpp: it leaves after one lease, 5 s).
  auto a = start_node();
  remote_server srv{{a.name()}};
  REQUIRE(srv.pool->wait_until_up(1, 10s));
  // An owner that answers the host's leases, as a proxy does, but never says it watches.
  auto owner =
    srv.sys->spawn([](caf::event_based_actor*,
                      int) -> caf::behavior { return {[](fastactor::lease_atom l) { return l; }}; },
                   0);
  auto host = srv.sys->middleman().remote_spawn<caf::actor>(
    srv.pool->next()->id, fastactor::detail::remote_worker_host_type,
    caf::make_message(owner, std::string{test_node::quit_slowly_type},
                      caf::make_message(fastactor::response_handle{})));
  REQUIRE(host);
  caf::scoped_actor self{*srv.sys};
  self->monitor(*host);
  bool left = false;
  self->receive([&](caf::down_msg&) { left = true; }, caf::after(20s) >> [] {});
  CHECK(left);
  caf::anon_send_exit(owner, caf::exit_reason::kill);
}

SCENARIO("a worker type the node does not have fails its response, and reads as missing",
         "[remote][process]") {
  auto a = start_node();
  remote_server srv{{a.name()}};
  REQUIRE(srv.pool->wait_until_up(1, 10s));
  WHEN("the node has no such type") {
    auto r = http_get(srv.port(), "/test/no-such-type");
    INFO(r.body);
    THEN("the response says so, and names the node") {
      CHECK(r.status == 502);
      CHECK(r.body.find("the node has no worker type 'fastactor.test.no_such_type'")
            != std::string::npos);
      CHECK(r.body.find("node " + a.name()) != std::string::npos);
    }
  }
  WHEN("the node has the type, and the worker ends with CAF's own unknown_type") {
    // The host ends with fastactor's reason (errc::no_worker_type) when the type is missing,
    // so a worker's own sec::unknown_type (a message it could not read) is its failure.
    auto r = http_get(srv.port(), "/test/ends-unknown-type");
    INFO(r.body);
    THEN("it is reported as the worker's failure, not as a missing type") {
      CHECK(r.status == 502);
      CHECK(r.body.find("remote worker 'fastactor.test.ends_unknown_type' failed: ")
            != std::string::npos);
      CHECK(r.body.find("unknown_type") != std::string::npos);
      CHECK(r.body.find("has no worker type") == std::string::npos);
    }
  }
}

SCENARIO("a node that hangs is detected by heartbeats", "[remote][process][faults]") {
  auto a = start_node();
  remote_server srv{{a.name()}};
  REQUIRE(srv.pool->wait_until_up(1, 10s));
  http_client c{srv.port(), 10s, 4096};
  c.send_get("/distributed/stream?n=100000&size=16384&window=4");
  REQUIRE(c.read_available(500ms).find("200 OK") != std::string::npos);
  a.proc.signal(SIGSTOP);  // alive, connection open, silent
  auto stopped = clock_type::now();
  THEN("the response ends with an error within a few timeouts, and the node is marked down") {
    std::string rest;
    while (rest.find("Fastactor-Errors: [{") == std::string::npos
           && clock_type::now() < stopped + 10s) {
      auto more = c.read_available(200ms);
      rest += more.size() > 4096 ? more.substr(more.size() - 4096) : more;
    }
    CHECK(rest.find("Fastactor-Errors: [{") != std::string::npos);
    CHECK(ms_between(stopped, clock_type::now()) < 6000);
    CHECK(srv.pool->status().at(0).up == false);
    auto r = http_get(srv.port(), "/distributed/stream?n=1&size=1");
    CHECK(r.status == 503);  // never waits on a node known to be down
  }
  a.proc.signal(SIGCONT);
}

SCENARIO("unreachable nodes give a clear error at once and never hang the server",
         "[remote][process][faults]") {
  // A port nobody listens on, and a "host that never answers": a listener whose accept
  // queue is full drops further SYNs, so connect() gets no answer at all.
  int closed_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(closed_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(closed_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto closed_port = ntohs(addr.sin_port);
  ::close(closed_fd);

  int silent_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  addr.sin_port = 0;
  REQUIRE(::bind(silent_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(silent_fd, 0) == 0);
  ::getsockname(silent_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto silent_port = ntohs(addr.sin_port);
  std::vector<int> fillers;  // fill the accept queue
  for (int i = 0; i < 4; ++i) {
    int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(f);
  }
  auto start = clock_type::now();
  {
    remote_server srv{
      {"127.0.0.1:" + std::to_string(closed_port), "127.0.0.1:" + std::to_string(silent_port)}};
    std::this_thread::sleep_for(300ms);
    auto r = http_get(srv.port(), "/distributed/stream?n=1&size=1");
    THEN("requests get 503 saying no node is up, without waiting") {
      CHECK(r.status == 503);
      CHECK(r.body.find("no worker node is up") != std::string::npos);
      CHECK(ms_between(start, clock_type::now()) < 3000);
    }
    THEN("the nodes' status says why") {
      auto s = srv.pool->status();
      CHECK(s.at(0).last_error.find("connect failed") != std::string::npos);
      CHECK_FALSE(s.at(1).up);
    }
    CHECK(http_get(srv.port(), "/hello").body == "ok");
  }
  THEN("shutdown does not hang on the silent host") {
    CHECK(ms_between(start, clock_type::now()) < 8000);
  }
  for (int f : fillers)
    ::close(f);
  ::close(silent_fd);
}

SCENARIO("a node that comes back is used again", "[remote][process][faults]") {
  auto a = start_node();
  auto port = a.port;
  remote_server srv{{a.name()}};
  REQUIRE(srv.pool->wait_until_up(1, 10s));
  a.proc.signal(SIGKILL);
  a.proc.wait_exit(5s);
  REQUIRE(srv.srv->wait_for([&](auto&) { return !srv.pool->status().at(0).up; }, 5s));
  CHECK(http_get(srv.port(), "/distributed/stream?n=1&size=1").status == 503);
  auto again = start_node(port);
  REQUIRE(srv.pool->wait_until_up(1, 10s));
  auto r = http_get(srv.port(), "/distributed/stream?n=50&size=100");
  CHECK(r.status == 200);
  CHECK(all_chunks_right(r.body, 50, 100));
  CHECK(srv.pool->status().at(0).connects == 2);
}

SCENARIO("a remote worker is stopped when its client leaves mid-stream",
         "[remote][process][orphans]") {
  GIVEN("a worker node streaming to a slow client") {
    auto a = start_node();
    remote_server srv{{a.name()}};
    REQUIRE(srv.pool->wait_until_up(1, 10s));
    node_probe probe{*srv.sys, a};
    http_client c{srv.port(), 10s, 4096};
    c.send_get("/distributed/stream?n=100000&size=16384&window=4");
    REQUIRE(c.read_available(500ms).find("200 OK") != std::string::npos);
    REQUIRE(probe.counts().value().live == 1);
    WHEN("the client leaves") {
      c.close();
      THEN("the node's live workers return to 0") {
        CHECK(probe.all_stopped(1, 10s));
        CHECK(srv.srv->wait_for([](auto& s) { return s.live_workers == 0; }, 10s));
      }
    }
  }
}

namespace {

/// Stops node `a` until the server drops its link (heartbeats), then lets it go on: the node
/// learns of the loss from its own side only, and no message from the server reaches it.
bool cut_off_until_dropped(node& a, remote_server& srv) {
  a.proc.signal(SIGSTOP);
  auto dropped = srv.srv->wait_for([&](auto&) { return !srv.pool->status().at(0).up; }, 10s);
  a.proc.signal(SIGCONT);
  return dropped;
}

}  // namespace

SCENARIO("a node cut off from its server stops that server's workers itself",
         "[remote][process][orphans]") {
  GIVEN("a node streaming to a slow client; its worker waits for acks") {
    auto a = start_node();
    remote_server srv{{a.name()}};
    REQUIRE(srv.pool->wait_until_up(1, 10s));
    http_client c{srv.port(), 10s, 4096};
    c.send_get("/distributed/stream?n=100000&size=16384&window=4");
    REQUIRE(c.read_available(500ms).find("200 OK") != std::string::npos);
    WHEN("the node stops until the server drops the link, then goes on") {
      REQUIRE(cut_off_until_dropped(a, srv));
      THEN("the worker stops, though no kill from the server could reach it") {
        node_probe probe{*srv.sys, a};
        CHECK(probe.all_stopped(1, 20s));  // at once, or after one lease (5 s) at worst
      }
    }
  }
  GIVEN("a node whose worker ignores every exit message it can") {
    auto a = start_node();
    remote_server srv{{a.name()}};
    REQUIRE(srv.pool->wait_until_up(1, 10s));
    http_client c{srv.port(), 10s};
    c.send_get("/test/deaf");
    REQUIRE(c.read_available(2s).find("deaf") != std::string::npos);
    WHEN("the node stops until the server drops the link, then goes on") {
      REQUIRE(cut_off_until_dropped(a, srv));
      THEN("its host kills it: nobody else could now") {
        node_probe probe{*srv.sys, a};
        CHECK(probe.all_stopped(1, 20s));
      }
    }
  }
}

SCENARIO("a remote spawn that completes after its request ended is killed at once",
         "[remote][process][orphans]") {
  GIVEN("a worker node whose test worker takes a while to spawn") {
    auto a = start_node();
    WHEN("the request's deadline passes while the spawn is still pending") {
      remote_server srv{{a.name()}, 500};
      REQUIRE(srv.pool->wait_until_up(1, 10s));
      node_probe probe{*srv.sys, a};
      auto r = http_get(srv.port(), "/test/slow-spawn?delay=2000");
      THEN("the response reports the deadline, and the worker is killed once spawned") {
        CHECK(r.status == 503);
        CHECK(r.body.find("deadline") != std::string::npos);
        // spawned counts from the worker's constructor, live only returns to 0 after it.
        CHECK(probe.all_stopped(1, 10s));
      }
    }
    WHEN("the spawn takes longer than the spawn timeout") {
      remote_server srv{{a.name()}};
      REQUIRE(srv.pool->wait_until_up(1, 10s));
      node_probe probe{*srv.sys, a};
      auto start = clock_type::now();
      auto r = http_get(srv.port(), "/test/slow-spawn?delay=1500&spawn_timeout=1000");
      THEN("the response fails with the node as source, and the late worker is killed") {
        CHECK(r.status == 502);
        CHECK(r.body.find("timed out") != std::string::npos);
        CHECK(r.body.find("node " + a.name()) != std::string::npos);
        CHECK(ms_between(start, clock_type::now()) < 1500);
        CHECK(probe.all_stopped(1, 10s));
      }
    }
    WHEN("the spawn takes longer than twice the spawn timeout, when CAF drops its reply") {
      remote_server srv{{a.name()}};
      REQUIRE(srv.pool->wait_until_up(1, 10s));
      node_probe probe{*srv.sys, a};
      auto r = http_get(srv.port(), "/test/slow-spawn?delay=2500&spawn_timeout=1000");
      THEN("the worker's host finds its proxy gone and stops the worker on the node") {
        CHECK(r.status == 502);
        CHECK(probe.all_stopped(1, 10s));
      }
    }
  }
}

SCENARIO("a remote worker that ignores exits is still stopped", "[remote][process][orphans]") {
  GIVEN("a worker node whose test worker ignores every exit message it can") {
    auto a = start_node();
    WHEN("the request's deadline passes") {
      remote_server srv{{a.name()}, 500};
      REQUIRE(srv.pool->wait_until_up(1, 10s));
      node_probe probe{*srv.sys, a};
      auto r = http_get(srv.port(), "/test/deaf");
      THEN("the response is cut off and the node's live workers return to 0") {
        CHECK(r.body.find("deaf") != std::string::npos);
        CHECK_FALSE(r.complete);
        CHECK(probe.all_stopped(1, 10s));
      }
    }
    WHEN("the client leaves") {
      remote_server srv{{a.name()}};
      REQUIRE(srv.pool->wait_until_up(1, 10s));
      node_probe probe{*srv.sys, a};
      http_client c{srv.port(), 10s};
      c.send_get("/test/deaf");
      REQUIRE(c.read_available(500ms).find("deaf") != std::string::npos);
      REQUIRE(probe.counts().value().live == 1);
      c.close();
      THEN("the node's live workers return to 0") {
        CHECK(probe.all_stopped(1, 10s));
      }
    }
    WHEN("its proxy is stopped with a non-normal reason other than kill") {
      remote_server srv{{a.name()}};
      REQUIRE(srv.pool->wait_until_up(1, 10s));
      node_probe probe{*srv.sys, a};
      http_client c{srv.port(), 10s};
      c.send_get("/test/deaf");
      REQUIRE(c.read_available(500ms).find("deaf") != std::string::npos);
      REQUIRE(probe.counts().value().live == 1);
      caf::anon_send_exit(srv.proxy.get(), caf::exit_reason::user_shutdown);
      THEN("the remote worker is killed all the same, and the response ends") {
        CHECK(probe.all_stopped(1, 10s));
        auto rest = c.read_available(1s);
        CHECK(rest.find("Fastactor-Errors: [{") != std::string::npos);
      }
    }
  }
}
