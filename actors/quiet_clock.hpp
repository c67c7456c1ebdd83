#pragma once
// quiet_clock: CAF's thread-safe actor clock, minus the wake-up at every actor's exit.
//
// Every CAF actor that terminates runs local_actor::cleanup, which calls
// `clock().cancel_timeouts(this)`. CAF 0.17.6's thread_safe_actor_clock queues a
// cancellation event for its dispatch thread and wakes it (a futex wake here, a wake-up and
// a sleep there) whether or not the actor ever set a timeout. fastactor spawns a writer per
// connection and workers per streaming request, none of which sets a CAF timeout (they use
// delayed_send and requests without a timeout), so every connection close and every worker
// exit cost a clock-thread wake-up for nothing: ~6 % of the server's CPU under
// `wrk -H "Connection: close"`.
//
// This clock remembers which actors set a timeout (ordinary, multi or request timeouts: the
// only events tied to an actor and dropped by cancel_timeouts; delayed messages are not) and
// forwards cancel_timeouts only for those. Everything else is forwarded unchanged, so CAF's
// behaviour is the same. An actor whose timeout already fired stays remembered until it
// exits: the clock cannot see it fire, and one cancellation too many is harmless.

#include <caf/detail/thread_safe_actor_clock.hpp>

#include <cstddef>
#include <mutex>
#include <unordered_set>

namespace fastactor::detail {

class quiet_clock final : public caf::detail::thread_safe_actor_clock {
public:
  using super = caf::detail::thread_safe_actor_clock;

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            std::uint64_t id) override;

  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;

  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         std::uint64_t id) override;

  /// Forwards to CAF's clock only if `self` set a timeout since it was last cancelled.
  void cancel_timeouts(caf::abstract_actor* self) override;

  /// Actors remembered as having set a timeout (for tests).
  std::size_t actors_with_timeouts() const;

private:
  void remember(caf::abstract_actor* self);

  mutable std::mutex mutex_;
  std::unordered_set<caf::actor_id> with_timeouts_;
};

}  // namespace fastactor::detail
