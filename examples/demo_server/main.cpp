// The demo server: every endpoint of the seed guide, on http://127.0.0.1:8080 by default.
//   build/bin/demo_server [--host=127.0.0.1] [--port=8080] [--help]

#include "actors/node_pool.hpp"
#include "demo_routes.hpp"
#include "server/options.hpp"
#include "server/server.hpp"
#include "server/signals.hpp"

#include <caf/actor_system.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

int main(int argc, char** argv) {
  fastactor::block_termination_signals();  // before any thread starts
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // access-log lines appear as they happen
  fastactor::system_config cfg;
  auto parsed = fastactor::parse_options(cfg, argc, argv);
  if (parsed.outcome == fastactor::parse_outcome::help_shown)
    return 0;
  if (parsed.outcome == fastactor::parse_outcome::invalid) {
    std::cerr << "demo_server: " << parsed.error << " (see --help)\n";
    return 2;
  }
  caf::actor_system sys{cfg};
  std::unique_ptr<fastactor::node_pool> nodes;  // after the system, before the server
  if (!cfg.server.worker_nodes.empty()) {
    std::string ignored;  // validated by parse_options
    nodes = std::make_unique<fastactor::node_pool>(
      sys, fastactor::parse_node_list(cfg.server.worker_nodes, ignored));
  }
  fastactor::server srv{sys, cfg.server, demo::routes(nodes.get())};
  try {
    srv.start();
  } catch (const std::exception& e) {
    std::cerr << "demo_server: cannot listen on " << cfg.server.host << ":" << cfg.server.port
              << ": " << e.what() << '\n';
    return 1;
  }
  auto host = cfg.server.host.find(':') == std::string::npos ? cfg.server.host
                                                            : "[" + cfg.server.host + "]";
  std::cout << "listening on http://" << host << ":" << srv.port() << std::endl;
  int sig = fastactor::wait_for_termination_signal();
  std::cerr << "demo_server: signal " << sig << ", stopping\n";
  srv.stop();
  return 0;
}
