#include <fastactor/signals.hpp>

#include <csignal>
#include <pthread.h>

namespace fastactor {

namespace {

sigset_t signals_of(bool with_hangup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (with_hangup)
    sigaddset(&set, SIGHUP);
  return set;
}

int wait_in(const sigset_t& set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace

void block_termination_signals() {
  auto set = signals_of(true);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_termination_signal() {
  return wait_in(signals_of(false));
}

int wait_for_control_signal() {
  return wait_in(signals_of(true));
}

}  // namespace fastactor
