#pragma once
// quiet_scheduler: CAF's work-sharing scheduler with a quiet_clock (actors/quiet_clock.hpp),
// so that an actor's exit wakes no clock thread unless the actor set a timeout.
//
// CAF's coordinator owns its clock by value and starts its "caf.clock" thread on it; neither
// can be swapped. So this scheduler overrides clock() (virtual; a covariant return) to hand
// out a quiet_clock of its own and runs that clock's dispatch loop on a thread of its own,
// "fa.clock". CAF's "caf.clock" thread still starts but never gets an event: it sleeps until
// shutdown.
//
// It is installed as a module factory (CAF's actor_system takes a loaded scheduler module
// instead of making one from scheduler.policy). The factory decides when the actor system is
// built, from the configuration as it is then: with scheduler.policy `sharing` (fastactor's
// default) and no profiling it makes a quiet_scheduler; for anything else, what CAF itself
// would have made, so `--scheduler.policy=stealing` still gives CAF's own scheduler and clock.

#include "actors/quiet_clock.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/scheduler/coordinator.hpp>

#include <thread>

namespace fastactor::detail {

class quiet_scheduler final : public caf::scheduler::coordinator<caf::policy::work_sharing> {
public:
  using super = caf::scheduler::coordinator<caf::policy::work_sharing>;

  /// The name of the thread that runs the quiet clock.
  static constexpr const char* clock_thread_name = "fa.clock";

  explicit quiet_scheduler(caf::actor_system& sys);
  ~quiet_scheduler() override;

  quiet_clock& clock() noexcept override { return clock_; }

protected:
  void start() override;
  void stop() override;

private:
  quiet_clock clock_;
  std::thread clock_thread_;
};

/// Adds to `cfg` the module factory that makes the scheduler when the actor system is built: a
/// quiet_scheduler if scheduler.policy is `sharing` then (without profiling), otherwise the
/// one CAF would have made.
void use_quiet_scheduler(caf::actor_system_config& cfg);

}  // namespace fastactor::detail
