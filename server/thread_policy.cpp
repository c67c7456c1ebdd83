#include <fastactor/thread_policy.hpp>

#include <pthread.h>
#include <sched.h>

#include <cstring>

namespace fastactor {

std::optional<thread_policy> parse_thread_policy(const std::string& name) {
  if (name == "batch")
    return thread_policy::batch;
  if (name == "normal")
    return thread_policy::normal;
  return std::nullopt;
}

std::string apply_thread_policy(thread_policy policy) {
  sched_param param{};
  param.sched_priority = 0;  // the only priority SCHED_OTHER and SCHED_BATCH have
  auto native = policy == thread_policy::batch ? SCHED_BATCH : SCHED_OTHER;
  if (auto err = pthread_setschedparam(pthread_self(), native, &param))
    return std::string{"cannot set the thread policy: "} + std::strerror(err);
  return {};
}

}  // namespace fastactor
