// A worker node for the remote tests: a CAF process that servers spawn workers on, through
// CAF's middleman (examples/worker_node is the demo's; this one is the tests' own).
//   test_worker_node [--host=127.0.0.1] [--port=0] [--node-heartbeat-ms=200]
//                    [--node-timeout-ms=2000] [--node-basp-workers=-1]
//                    [--node-tls-cert=PEM --node-tls-key=PEM --node-tls-ca=PEM]
// Prints `listening on tcp://HOST:PORT` (with node TLS: tls://) first; stops on SIGINT/SIGTERM.

#include "support/test_worker_node.hpp"

#include <fastactor/remote.hpp>
#include <fastactor/response_handle.hpp>
#include <fastactor/signals.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

using namespace testing::test_node;

namespace {

using next_atom = caf::atom_constant<caf::atom("next")>;
using tick_atom = caf::atom_constant<caf::atom("fa_tick")>;

std::atomic<std::uint64_t> live_workers{0};
std::atomic<std::uint64_t> spawned_workers{0};

/// Counts `self` as a live worker until it terminates, whatever ends it.
void count_worker(caf::abstract_actor* self) {
  live_workers.fetch_add(1, std::memory_order_relaxed);
  spawned_workers.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([] { live_workers.fetch_sub(1, std::memory_order_relaxed); });
}

struct producer_state {
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  static inline const char* name = "test.chunk_producer";
};

/// Streams `chunks` chunks of `size` bytes (chunk i is the letter 'a' + i % 26) to the
/// request's writer on the server, keeping up to `window` writes unacknowledged: across the
/// network a window of ~32 keeps the pipe full while a slow client still slows it down.
caf::behavior chunk_producer(caf::stateful_actor<producer_state>* self,
                             fastactor::response_handle out, std::uint64_t chunks,
                             std::uint64_t size, std::uint32_t window) {
  count_worker(self);
  auto send_one = [=] {
    auto i = self->state.sent++;
    out.write_acked(self, std::string(size, static_cast<char>('a' + i % 26)))
      .then([=](fastactor::ack_atom) {
        if (++self->state.acked == chunks)
          return self->quit();
        if (self->state.sent < chunks)
          self->send(self, next_atom::value);
      });
  };
  if (chunks == 0) {
    self->quit();
    return {};
  }
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(std::max(window, 1u), chunks); ++i)
    send_one();
  // Several acks may queue several `next`s before any is handled: check again here.
  return {[=](next_atom) {
    if (self->state.sent < chunks)
      send_one();
  }};
}

/// Busy until stopped, as a real producer is: the pending timer also keeps a reference, so
/// CAF cannot collect it as unreachable once nobody else refers to it (an orphan that
/// would stop by itself proves nothing).
caf::behavior tick_until_stopped(caf::event_based_actor* self) {
  self->delayed_send(self, std::chrono::milliseconds(100), tick_atom::value);
  return {
    [=](tick_atom) { self->delayed_send(self, std::chrono::milliseconds(100), tick_atom::value); }};
}

/// A class, not a function: a class's constructor runs inside the node's spawn, before the
/// reply, so sleeping there delays the spawn's completion as a slow node would.
class slow_spawn : public caf::event_based_actor {
public:
  slow_spawn(caf::actor_config& cfg, const fastactor::response_handle&,
             const std::uint32_t& delay_ms)
    : caf::event_based_actor(cfg) {
    count_worker(this);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }

  caf::behavior make_behavior() override { return tick_until_stopped(this); }
};

/// Sends one line, then waits: only an exit that its handler cannot refuse (kill) stops it.
caf::behavior deaf_worker(caf::event_based_actor* self, fastactor::response_handle out) {
  count_worker(self);
  self->set_exit_handler([](caf::exit_msg&) {});
  out.write(self, "deaf\n");
  return tick_until_stopped(self);
}

/// Ends at once, slowly: it enters the registry (as sending its address across does) and its
/// cleanup first sleeps (the last attached runs first, the registry's erase after it), so for a
/// second it is terminated yet still found by id. A remote link arriving in that second deadlocked
/// CAF 0.17.6's network thread (monitorable_actor::add_link -> exit to the proxy -> unlink, same
/// lock); fastactor never sends one now (actors/remote_worker_host.hpp).
caf::behavior quit_slowly(caf::event_based_actor* self, fastactor::response_handle) {
  count_worker(self);
  self->system().registry().put(self->id(), caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([] { std::this_thread::sleep_for(std::chrono::seconds(1)); });
  self->quit();
  return {};
}

caf::behavior ends_with_unknown_type(caf::event_based_actor* self, fastactor::response_handle) {
  count_worker(self);
  self->quit(caf::sec::unknown_type);
  return {};
}

worker_counts counts() {
  return {live_workers.load(std::memory_order_relaxed),
          spawned_workers.load(std::memory_order_relaxed)};
}

void register_node_workers(caf::actor_system_config& cfg) {
  cfg.add_actor_type(remote_chunks_type, chunk_producer);
  cfg.add_actor_type<slow_spawn, const fastactor::response_handle&, const std::uint32_t&>(
    slow_spawn_type);
  cfg.add_actor_type(deaf_type, deaf_worker);
  cfg.add_actor_type(quit_slowly_type, quit_slowly);
  cfg.add_actor_type(ends_unknown_type, ends_with_unknown_type);
}

struct node_config : caf::actor_system_config {
  std::string host = "127.0.0.1";
  std::int64_t port = 9000;
  std::int64_t heartbeat_ms = 200;
  std::int64_t timeout_ms = 2000;
  std::int64_t basp_workers = -1;
  fastactor::node_tls tls;

  node_config() {
    opt_group{custom_options_, "global"}
      .add(host, "host", "address to listen on (default 127.0.0.1)")
      .add(port, "port", "TCP port; 0 takes a free one (default 9000)")
      .add(heartbeat_ms, "node-heartbeat-ms",
           "heartbeat interval; must match the server's (default 200)")
      .add(timeout_ms, "node-timeout-ms",
           "a peer silent this long is dropped; must match the server's (default 2000)")
      .add(basp_workers, "node-basp-workers",
           "threads that deserialize what servers send; 0: CAF's network thread itself; -1: "
           "automatic, 0 below 4 cores (default -1)")
      .add(tls.certificate, "node-tls-cert",
           "mutual TLS with servers: this node's certificate (PEM); needs --node-tls-key and "
           "--node-tls-ca too. Without all three the port is plain TCP: trusted networks only")
      .add(tls.key, "node-tls-key", "the private key of --node-tls-cert (PEM, not encrypted)")
      .add(tls.ca, "node-tls-ca", "the CA (PEM) that must have signed every server's certificate");
  }
};

/// What a server's connector connects to and monitors: the node's liveness. Its worker counts
/// let a test prove that ended requests leave no worker behind.
caf::behavior node_info(caf::event_based_actor*, std::string name) {
  return {
    [=](caf::get_atom) { return name; },
    [](live_atom) {
      auto c = counts();
      return caf::make_message(c.live, c.spawned);
    },
  };
}

}  // namespace

int main(int argc, char** argv) {
  fastactor::block_termination_signals();
  node_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "test_worker_node: invalid options: " << cfg.render(err) << " (see --help)\n";
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (cfg.port < 0 || cfg.port > 65535 || cfg.heartbeat_ms < 1 || cfg.timeout_ms < cfg.heartbeat_ms
      || cfg.basp_workers < -1 || cfg.basp_workers > 64) {
    std::cerr << "test_worker_node: --port must be 0..65535, heartbeat >= 1 ms, "
                 "timeout >= heartbeat, --node-basp-workers -1..64\n";
    return 2;
  }
  if (auto error = fastactor::check_node_tls(cfg.tls); !error.empty()) {
    std::cerr << "test_worker_node: " << error << '\n';
    return 2;
  }
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", std::int64_t{2});
  cfg.set("logger.console", caf::atom("none"));
  fastactor::configure_remote(cfg,
                              {std::chrono::milliseconds(cfg.heartbeat_ms),
                               std::chrono::milliseconds(cfg.timeout_ms), cfg.tls,
                               fastactor::basp_workers_option(cfg.basp_workers)});
  register_node_workers(cfg);
  caf::actor_system sys{cfg};
  auto info = sys.spawn(node_info, cfg.host);
  auto port = fastactor::publish_node(info, static_cast<std::uint16_t>(cfg.port), cfg.host);
  if (!port) {
    std::cerr << "test_worker_node: cannot listen on " << cfg.host << ":" << cfg.port << ": "
              << sys.render(port.error()) << '\n';
    caf::anon_send_exit(info, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "listening on " << (fastactor::uses_node_tls(sys) ? "tls" : "tcp") << "://"
            << cfg.host << ":" << *port << std::endl;
  int sig = fastactor::wait_for_termination_signal();
  std::cerr << "test_worker_node: signal " << sig << ", stopping\n";
  caf::anon_send_exit(info, caf::exit_reason::user_shutdown);
  return 0;
}
