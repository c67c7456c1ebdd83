// --thread-policy: the calling thread gets the policy, and threads it starts inherit it
// (which is how the actor system's and the server's threads get it).
#include <fastactor/thread_policy.hpp>

#include <catch2/catch.hpp>

#include <pthread.h>
#include <sched.h>

#include <string>
#include <thread>

using namespace fastactor;

namespace {

int policy_of_this_thread() {
  int policy = -1;
  sched_param param{};
  pthread_getschedparam(pthread_self(), &policy, &param);
  return policy;
}

struct observed {
  std::string batch_error, normal_error;
  int after_batch = -1, child_after_batch = -1, after_normal = -1;
};

/// Applies batch, starts a thread, applies normal — on a thread of its own, so that the test
/// runner's thread keeps its policy.
observed apply_on_fresh_thread() {
  observed o;
  std::thread{[&o] {
    o.batch_error = apply_thread_policy(thread_policy::batch);
    o.after_batch = policy_of_this_thread();
    std::thread{[&o] { o.child_after_batch = policy_of_this_thread(); }}.join();
    o.normal_error = apply_thread_policy(thread_policy::normal);
    o.after_normal = policy_of_this_thread();
  }}.join();
  return o;
}

}  // namespace

SCENARIO("the thread policy is applied to the calling thread and inherited", "[options]") {
  GIVEN("a thread that applies the batch policy, starts a thread, then applies normal") {
    auto o = apply_on_fresh_thread();
    THEN("both calls succeed") {
      CHECK(o.batch_error.empty());
      CHECK(o.normal_error.empty());
    }
    THEN("batch makes the thread SCHED_BATCH, and the thread it starts inherits it") {
      CHECK(o.after_batch == SCHED_BATCH);
      CHECK(o.child_after_batch == SCHED_BATCH);
    }
    THEN("normal turns it back to SCHED_OTHER") {
      CHECK(o.after_normal == SCHED_OTHER);
    }
  }
}

SCENARIO("thread policy names", "[options]") {
  CHECK(parse_thread_policy("batch") == thread_policy::batch);
  CHECK(parse_thread_policy("normal") == thread_policy::normal);
  CHECK_FALSE(parse_thread_policy("Batch"));
  CHECK_FALSE(parse_thread_policy(""));
}
