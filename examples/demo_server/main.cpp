// The demo server: every endpoint of the seed guide, on http://127.0.0.1:8080 by default.
//   build/bin/demo_server [--host=127.0.0.1] [--port=8080] [--worker-nodes=H:P,...] [--help]

#include <fastactor/node_pool.hpp>
#include "demo_routes.hpp"
#include <fastactor/run.hpp>
#include <fastactor/signals.hpp>

#include <caf/actor_system.hpp>

#include <cstdio>
#include <memory>

int main(int argc, char** argv) {
  fastactor::block_termination_signals();  // before any thread starts
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // access-log lines appear as they happen
  fastactor::system_config cfg;
  if (auto code = fastactor::parse_or_exit(cfg, argc, argv, "demo_server"))
    return *code;
  caf::actor_system sys{cfg};
  std::unique_ptr<fastactor::node_pool> nodes;  // after the system, before the server
  if (!cfg.server.worker_nodes.empty()) {
    std::string ignored;  // validated by parse_options
    nodes = std::make_unique<fastactor::node_pool>(
      sys, fastactor::parse_node_list(cfg.server.worker_nodes, ignored));
  }
  fastactor::server srv{sys, cfg.server, demo::routes(nodes.get())};
  return fastactor::serve_until_signal(srv, "demo_server");
}
