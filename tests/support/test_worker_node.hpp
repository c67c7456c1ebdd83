#pragma once
// What the test worker node (test_worker_node.cpp, a program of its own) offers the remote
// tests: the worker types a server spawns on it by name, and a published actor that answers
// `get` (the node's name) and `fa_live` (its worker counts).

#include "support/test_routes.hpp"

#include <caf/atom.hpp>

#include <cstdint>

namespace testing::test_node {

/// The chunks of /distributed/stream (shared_routes::remote_chunks_type).
using shared_routes::remote_chunks_type;

/// Takes `delay_ms` (std::uint32_t) to be spawned, then works (a timer) until stopped — a
/// remote spawn still pending when its request ends.
inline constexpr const char* slow_spawn_type = "fastactor.test.slow_spawn";
/// Ignores every exit message it can (its own exit handler) and works (a timer) until killed.
inline constexpr const char* deaf_type = "fastactor.test.deaf";

/// Ends at once yet stays in the node's actor registry, terminated, for a second: what a
/// worker that just ended looks like to a message racing its end (see quit_slowly).
inline constexpr const char* quit_slowly_type = "fastactor.test.quit_slowly";

/// Ends at once with CAF's sec::unknown_type as its own reason: a worker's failure that must
/// not read as "the node has no such type".
inline constexpr const char* ends_unknown_type = "fastactor.test.ends_unknown_type";

/// Asks the node's published actor for its worker counts: the answer is (live, spawned), two
/// std::uint64_t — so a test can prove that ended requests leave no worker behind.
using live_atom = caf::atom_constant<caf::atom("fa_live")>;

struct worker_counts {
  std::uint64_t live = 0;  ///< node workers alive now
  std::uint64_t spawned = 0;  ///< node workers ever created
};

}  // namespace testing::test_node
