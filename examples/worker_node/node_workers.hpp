#pragma once
// The worker types a demo worker node offers to servers (spawned remotely, by name).

#include <fastactor/response_handle.hpp>

#include <caf/actor_system_config.hpp>

namespace demo {

/// The registered name of chunk_producer.
inline constexpr const char* chunk_producer_type = "fastactor.demo.chunks";

/// Registers every worker type of this node with `cfg`.
void register_node_workers(caf::actor_system_config& cfg);

}  // namespace demo
