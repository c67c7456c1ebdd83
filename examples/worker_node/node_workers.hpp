#pragma once
// The worker types a demo worker node offers to servers (spawned remotely, by name).

#include <fastactor/response_handle.hpp>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include <cstdint>

namespace demo {

/// The registered name of chunk_producer.
inline constexpr const char* chunk_producer_type = "fastactor.demo.chunks";

/// Worker types for tests only (worker_node --test-workers=1):
/// takes `delay_ms` (std::uint32_t) to be spawned, then works (a timer) until stopped — a remote
/// spawn still pending when its request ends;
inline constexpr const char* slow_spawn_type = "fastactor.test.slow_spawn";
/// ignores every exit message it can (its own exit handler) and works (a timer) until killed.
inline constexpr const char* deaf_type = "fastactor.test.deaf";

/// Asks a node's published actor for its worker counts: the answer is (live, spawned), two
/// std::uint64_t — so a test can prove that ended requests leave no worker behind.
using live_atom = caf::atom_constant<caf::atom("fa_live")>;

struct worker_counts {
  std::uint64_t live = 0;  ///< node workers alive now
  std::uint64_t spawned = 0;  ///< node workers ever created
};

/// The counts over every worker type this file registers.
worker_counts counts();

/// Registers every worker type of this node with `cfg`; with `test_workers`, also the types
/// for tests above.
void register_node_workers(caf::actor_system_config& cfg, bool test_workers = false);

}  // namespace demo
