#include "server/strand_execution_unit.hpp"

#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <chrono>

namespace fastactor {

namespace {

/// A writer yields the I/O thread to the other connections on it after this many messages,
/// or once its turn has taken turn_time — whichever comes first. The time bound is for
/// messages that cost more than a syscall: a coded stream compresses in its writer, and 64
/// flushes in a row would hold every other connection on the thread for tens of ms.
constexpr std::size_t max_messages_per_turn = 64;
constexpr auto turn_time = std::chrono::microseconds(500);

/// Per thread, so that a message from another thread never sees this thread's state.
thread_local strand_execution_unit* running = nullptr;  ///< whose writer runs here now
thread_local strand_execution_unit* telling = nullptr;  ///< whose connection sends now

/// Marks the writer of `unit` as running on this thread for the scope's life.
class turn_mark {
public:
  explicit turn_mark(strand_execution_unit* unit) : previous_(running) { running = unit; }
  ~turn_mark() { running = previous_; }
  turn_mark(const turn_mark&) = delete;
  turn_mark& operator=(const turn_mark&) = delete;

private:
  strand_execution_unit* previous_;
};

}  // namespace

strand_execution_unit::strand_execution_unit(caf::actor_system& sys,
                                             const boost::asio::any_io_executor& strand)
  : writer_home(&sys), strand_(strand) {}

void strand_execution_unit::exec_later(caf::resumable* ptr) {
  // The writer runs here; whatever else CAF hands this unit (a worker the writer spawned or
  // sent a message to) belongs on the scheduler.
  if (!runs_at_home(*ptr))
    return system().scheduler().enqueue(ptr);
  caf::intrusive_ptr<caf::resumable> job{ptr, false};
  // CAF calls exec_later last in its enqueue, so resuming here is resuming after the send.
  if (telling == this && running == nullptr) {
    auto keep = owner_.lock();  // as post's handler does: the writer may let its owner go
    return resume(std::move(job));
  }
  post(std::move(job));
}

bool strand_execution_unit::in_turn() const {
  return running == this;
}

void strand_execution_unit::post(caf::intrusive_ptr<caf::resumable> job) {
  // The handler holds the writer and the unit's owner. The owner lock succeeds: CAF wakes
  // only a live writer, and a live writer still holds its connection. Holding it through the
  // turn matters: a writer that quits lets its connection go before CAF has finished with
  // this unit (its exit and down messages to linked actors are sent through it). An
  // io_context destroyed with the handler still queued releases both references.
  boost::asio::post(strand_, [this, keep = owner_.lock(), job = std::move(job)]() mutable {
    resume(std::move(job));
  });
}

void strand_execution_unit::resume(caf::intrusive_ptr<caf::resumable> job) {
  caf::resumable::resume_result result;
  {
    turn_mark mark{this};
    // One message per resume, so that the clock is looked at between them (one resume of
    // CAF's handles a batch without a way to stop it early). Most turns are one message.
    auto until = std::chrono::steady_clock::now() + turn_time;
    std::size_t handled = 0;
    do
      result = job->resume(this, 1);
    while (result == caf::resumable::resume_later && ++handled < max_messages_per_turn
           && std::chrono::steady_clock::now() < until);
  }
  if (result == caf::resumable::resume_later)
    return post(std::move(job));
  // done or awaiting_message: `job` releases the writer here; whoever called us still holds
  // the owner, so this unit lives until it returns.
}

strand_execution_unit::connection_turn::connection_turn(strand_execution_unit& unit)
  : previous_(telling) {
  telling = &unit;
}

strand_execution_unit::connection_turn::~connection_turn() {
  telling = previous_;
}

}  // namespace fastactor
