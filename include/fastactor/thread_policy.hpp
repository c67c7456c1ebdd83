#pragma once
// thread_policy: how Linux schedules the server's threads (`--thread-policy`).
//
// Why it matters: a message from a producer on a CAF scheduler thread to a writer on an I/O
// thread wakes the writer's thread. Under the normal policy the woken thread preempts the
// sender at once and handles one message at a time; under SCHED_BATCH it does not preempt a
// running one, so the sender finishes what it has and the receiver then takes every waiting
// message at once. The price is latency under CPU contention (a woken thread may wait up to
// one scheduler slice). The measurements are in docs/design-notes.md ("Thread policy").

#include <optional>
#include <string>

namespace fastactor {

enum class thread_policy {
  batch,  ///< SCHED_BATCH: throughput first (the default)
  normal,  ///< SCHED_OTHER: the system's default
};

/// "batch" or "normal"; nothing for anything else.
std::optional<thread_policy> parse_thread_policy(const std::string& name);

/// Gives the calling thread the policy; threads it starts afterwards inherit it (so call it
/// before the actor system and the server start theirs). Returns an error message, or empty.
std::string apply_thread_policy(thread_policy policy);

}  // namespace fastactor
