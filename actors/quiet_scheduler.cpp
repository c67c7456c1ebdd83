#include "actors/quiet_scheduler.hpp"

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/defaults.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/logger.hpp>
#include <caf/policy/profiled.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scheduler/profiled_coordinator.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <iostream>

namespace fastactor::detail {

quiet_scheduler::quiet_scheduler(caf::actor_system& sys) : super(sys) {}

quiet_scheduler::~quiet_scheduler() = default;

void quiet_scheduler::start() {
  super::start();
  // Like CAF's own clock thread (caf/scheduler/coordinator.hpp). Started by the thread that
  // builds the actor system, so it inherits that thread's scheduling policy (--thread-policy)
  // and signal mask, as the scheduler's other threads do.
  clock_thread_ = std::thread{[this] {
    CAF_SET_LOGGER_SYS(&system());
    caf::detail::set_thread_name(clock_thread_name);
    system().thread_started();
    clock_.run_dispatch_loop();
    system().thread_terminates();
  }};
}

void quiet_scheduler::stop() {
  // The base stops the workers and cleans up the actors left in their queues, which may still
  // cancel timeouts on this clock: it stops last.
  super::stop();
  clock_.cancel_dispatch_loop();
  clock_thread_.join();
}

namespace {

/// What caf::actor_system's constructor (CAF 0.17.6, src/actor_system.cpp) makes when no
/// scheduler module is loaded, with the quiet scheduler in the place of plain work sharing.
caf::actor_system::module* make_scheduler(caf::actor_system& sys) {
  using namespace caf::scheduler;
  using caf::policy::profiled;
  using caf::policy::work_sharing;
  using caf::policy::work_stealing;
  const auto& cfg = sys.config();
  auto policy = caf::get_or(cfg, "scheduler.policy", caf::defaults::scheduler::policy);
  auto profiling = caf::get_or(cfg, "scheduler.enable-profiling", false);
  enum choice { stealing, sharing, testing };
  auto chosen = stealing;
  if (policy == caf::atom("sharing"))
    chosen = sharing;
  else if (policy == caf::atom("testing"))
    chosen = testing;
  else if (policy != caf::atom("stealing"))
    std::cerr << "[WARNING] " << caf::deep_to_string(policy)
              << " is an unrecognized scheduler pollicy, "
                 "falling back to 'stealing' (i.e. work-stealing)"
              << std::endl;
  if (chosen == sharing)
    return profiling ? static_cast<caf::actor_system::module*>(
             new profiled_coordinator<profiled<work_sharing>>(sys))
                     : new quiet_scheduler(sys);
  if (chosen == testing && !profiling)  // testing + profiling falls to CAF's default case
    return new test_coordinator(sys);
  if (chosen == stealing && profiling)
    return new profiled_coordinator<profiled<work_stealing>>(sys);
  return new coordinator<work_stealing>(sys);
}

}  // namespace

void use_quiet_scheduler(caf::actor_system_config& cfg) {
  cfg.module_factories.push_back(make_scheduler);
}

}  // namespace fastactor::detail
