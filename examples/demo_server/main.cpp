// The demo server: every endpoint of the FastGo guide, on http://127.0.0.1:8080 by default.
//   build/bin/demo_server [--host=127.0.0.1] [--port=8080] [--worker-nodes=H:P,...] [--help]

#include "demo_routes.hpp"

#include <fastactor/fastactor.hpp>

#include <memory>

int main(int argc, char** argv) {
  // The routes need the actor system (for the worker nodes' connections): make them once it runs.
  return fastactor::run(argc, argv,
                        [](caf::actor_system& sys, const fastactor::server_config& cfg) {
                          std::shared_ptr<fastactor::node_pool> nodes;
                          if (!cfg.worker_nodes.empty()) {
                            std::string ignored;  // validated by parse_options
                            nodes = std::make_shared<fastactor::node_pool>(
                              sys, fastactor::parse_node_list(cfg.worker_nodes, ignored));
                          }
                          return demo::routes(std::move(nodes));
                        });
}
