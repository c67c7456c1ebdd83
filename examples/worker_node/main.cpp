// A worker node: a CAF process that servers spawn workers on, through CAF's middleman.
//   build/bin/worker_node [--host=127.0.0.1] [--port=0] [--node-heartbeat-ms=200]
//                         [--node-timeout-ms=2000] [--node-basp-workers=-1]
//                         [--node-tls-cert=PEM --node-tls-key=PEM --node-tls-ca=PEM]
// Prints `listening on tcp://HOST:PORT` (with node TLS: tls://) first; stops on SIGINT/SIGTERM. The
// published actor answers `get` (the node's name).

#include "node_workers.hpp"
#include <fastactor/remote.hpp>
#include <fastactor/signals.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <cstdio>
#include <iostream>

namespace {

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

/// What a server's connector connects to and monitors: the node's liveness.
caf::behavior node_info(caf::event_based_actor*, std::string name) {
  return {
    [=](caf::get_atom) { return name; },
  };
}

}  // namespace

int main(int argc, char** argv) {
  fastactor::block_termination_signals();
  node_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "worker_node: invalid options: " << cfg.render(err) << " (see --help)\n";
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (cfg.port < 0 || cfg.port > 65535 || cfg.heartbeat_ms < 1 || cfg.timeout_ms < cfg.heartbeat_ms
      || cfg.basp_workers < -1 || cfg.basp_workers > 64) {
    std::cerr << "worker_node: --port must be 0..65535, heartbeat >= 1 ms, timeout >= heartbeat, "
                 "--node-basp-workers -1..64\n";
    return 2;
  }
  if (auto error = fastactor::check_node_tls(cfg.tls); !error.empty()) {
    std::cerr << "worker_node: " << error << '\n';
    return 2;
  }
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", std::int64_t{2});
  cfg.set("logger.console", caf::atom("none"));
  fastactor::configure_remote(cfg,
                              {std::chrono::milliseconds(cfg.heartbeat_ms),
                               std::chrono::milliseconds(cfg.timeout_ms), cfg.tls,
                               fastactor::basp_workers_option(cfg.basp_workers)});
  demo::register_node_workers(cfg);
  caf::actor_system sys{cfg};
  auto info = sys.spawn(node_info, cfg.host);
  auto port = fastactor::publish_node(info, static_cast<std::uint16_t>(cfg.port), cfg.host);
  if (!port) {
    std::cerr << "worker_node: cannot listen on " << cfg.host << ":" << cfg.port << ": "
              << sys.render(port.error()) << '\n';
    caf::anon_send_exit(info, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "listening on " << (fastactor::uses_node_tls(sys) ? "tls" : "tcp") << "://"
            << cfg.host << ":" << *port << std::endl;
  int sig = fastactor::wait_for_termination_signal();
  std::cerr << "worker_node: signal " << sig << ", stopping\n";
  caf::anon_send_exit(info, caf::exit_reason::user_shutdown);
  return 0;
}
