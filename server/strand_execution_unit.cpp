#include "server/strand_execution_unit.hpp"

#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

namespace fastactor {

namespace {

/// Messages a writer handles before it yields the I/O thread to the other connections on it.
constexpr std::size_t max_messages_per_turn = 64;

}  // namespace

strand_execution_unit::strand_execution_unit(caf::actor_system& sys,
                                             const boost::asio::any_io_executor& strand)
  : writer_home(&sys), strand_(strand) {}

void strand_execution_unit::exec_later(caf::resumable* ptr) {
  // The writer runs here; whatever else CAF hands this unit (a worker the writer spawned or
  // sent a message to) belongs on the scheduler.
  if (!runs_at_home(*ptr))
    return system().scheduler().enqueue(ptr);
  post(caf::intrusive_ptr<caf::resumable>{ptr, false});
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
  if (job->resume(this, max_messages_per_turn) == caf::resumable::resume_later)
    return post(std::move(job));
  // done or awaiting_message: `job` releases the writer here; the handler that called us
  // still holds the owner, so this unit lives until the handler returns.
}

}  // namespace fastactor
