#pragma once
// Makes a hand-off through a CAF mailbox visible to ThreadSanitizer.
//
// Debian's CAF is not instrumented, so TSan cannot see that a message's contents, written by
// the sender's thread, happen-before the receiver reads them. Every report on such data is
// false, and when the data flows on into instrumented code (a writer's chunk reaching the
// Asio thread that sends it) the report carries no CAF frame to suppress it by. So the
// senders of fastactor's own messages release, and the receivers acquire, on the receiving
// actor's address. In builds without TSan these compile to nothing.

#if defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define FASTACTOR_TSAN 1
#  endif
#endif
#if defined(__SANITIZE_THREAD__)
#  define FASTACTOR_TSAN 1
#endif

#include <caf/abstract_actor.hpp>
#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>

#ifdef FASTACTOR_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace fastactor::detail {

/// Before sending to `receiver`.
inline void handoff_release([[maybe_unused]] const caf::actor& receiver) {
#ifdef FASTACTOR_TSAN
  __tsan_release(caf::actor_cast<caf::abstract_actor*>(receiver));
#endif
}

/// First thing in a handler of the receiving actor.
inline void handoff_acquire([[maybe_unused]] caf::abstract_actor* self) {
#ifdef FASTACTOR_TSAN
  __tsan_acquire(self);
#endif
}

}  // namespace fastactor::detail
