#include "server/strand_execution_unit.hpp"

#include <boost/asio/post.hpp>
#include <boost/assert.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <utility>
#include <vector>

namespace fastactor {

namespace {

/// Messages a writer handles before it yields the I/O thread to the other connections on it.
/// (A message that costs more than a write — a coded stream's slice — yields by itself:
/// writer_home::after_others.)
constexpr std::size_t max_messages_per_turn = 64;

/// Per thread, so that a message from another thread never sees this thread's state.
thread_local strand_execution_unit* running = nullptr;  ///< whose writer runs here now
thread_local strand_execution_unit* telling = nullptr;  ///< whose connection sends now
/// Actors the running writer made ready during its turn (a worker it acknowledged, spawned or
/// sent a message to), each with the reference exec_later was given: scheduled when the turn
/// is over. Per thread rather than per connection, so that an idle connection holds nothing
/// for it: a turn runs on one thread, and no other writer's turn runs inside it.
thread_local std::vector<caf::resumable*> woken_workers;
/// The writer run at once (run_at_once) when a message from this thread made it ready during
/// that run (its own, or its connection's), with the reference exec_later was given: resumed
/// before the run ends, as CAF's resume loop would take the message in its next round.
thread_local caf::resumable* ready_again = nullptr;

/// The unit whose owner (its connection) a frame on this thread's stack holds, if any.
thread_local const strand_execution_unit* owner_held = nullptr;

/// Notes, for the scope's life, that a frame on this thread holds `unit`'s owner.
class owner_mark {
public:
  explicit owner_mark(const strand_execution_unit* unit) : previous_(owner_held) {
    owner_held = unit;
  }
  ~owner_mark() { owner_held = previous_; }
  owner_mark(const owner_mark&) = delete;
  owner_mark& operator=(const owner_mark&) = delete;

private:
  const strand_execution_unit* previous_;
};

/// Holds `unit`'s owner for the scope's life, as its writer may let the owner go (the
/// connection that called in). A frame further up this thread's stack may hold it already: a
/// pipelined request is run at once from inside the turn of the one before it
/// (session::writer_turn_ended). The owner is then not locked again: a weak_ptr's lock and
/// its release are two locked instructions (~20 cycles each) per pipelined request.
class owner_hold {
public:
  owner_hold(const strand_execution_unit* unit, const std::weak_ptr<const io_executor>& owner)
    : strand_(owner_held == unit ? nullptr : owner.lock()),
      held_(owner_held == unit || strand_ != nullptr), mark_(held_ ? unit : owner_held) {
    // Held further up means alive: a frame that marks an owner holds it for its whole scope.
    BOOST_ASSERT(!held_ || !owner.expired());
  }

  explicit operator bool() const { return held_; }

private:
  std::shared_ptr<const io_executor> strand_;  ///< empty when held further up
  bool held_;
  owner_mark mark_;  ///< destroyed first: unmarked before the owner is let go
};

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

strand_execution_unit::strand_execution_unit(caf::actor_system& sys) : writer_home(&sys) {}

void strand_execution_unit::exec_later(caf::resumable* ptr) {
  // The writer runs here; whatever else CAF hands this unit (a worker the writer spawned or
  // sent a message to) belongs on the scheduler.
  if (!runs_at_home(*ptr)) {
    if (running == this)  // woken once the writer's turn is over: see schedule_woken_workers
      return woken_workers.push_back(ptr);
    return system().scheduler().enqueue(ptr);
  }
  caf::intrusive_ptr<caf::resumable> job{ptr, false};
  // Only while it runs at once is the writer made ready by a message sent from its own run:
  // in a resume its mailbox is not marked idle, so a message sent then wakes nobody.
  if (running == this) {
    BOOST_ASSERT(ready_again == nullptr);  // one wake per blocked mailbox: see run_at_once
    return static_cast<void>(ready_again = job.detach());
  }
  // CAF calls exec_later last in its enqueue, so resuming here is resuming after the send.
  if (telling == this && running == nullptr) {
    owner_hold keep{this, owner_};  // as post's handler does: the writer may let its owner go
    BOOST_ASSERT(keep);  // the connection is telling, from its strand
    return resume(std::move(job));
  }
  post(std::move(job));
}

bool strand_execution_unit::in_turn() const {
  return running == this;
}

void strand_execution_unit::after_others(std::function<void()> fn) {
  // Asked by the running writer, whose state holds its connection: the lock succeeds (and
  // if it did not, there would be no connection left to yield to).
  auto strand = owner_.lock();
  BOOST_ASSERT(strand);
  if (!strand)
    return;
  boost::asio::post(*strand, [this, strand, fn = std::move(fn)] {
    owner_mark held{this};  // by `strand`
    connection_turn turn{*this};  // a message `fn` sends resumes the writer here
    fn();
  });
}

void strand_execution_unit::post(caf::intrusive_ptr<caf::resumable> job) {
  auto strand = owner_.lock();
  if (!strand)  // the connection is gone, so the writer has quit: see exec_later
    return;  // dropping `job` releases the reference CAF added for the wake-up
  // The handler holds the writer (and with it this unit) and the connection. Holding the
  // connection through the turn matters: a writer that quits lets it go before CAF has
  // finished with this unit (its exit and down messages to linked actors are sent through
  // it). An io_context destroyed with the handler still queued releases both. `strand` too
  // holds the connection until the post is done, so the connection's last reference may go
  // here, on the sender's thread (see session::live_mark).
  boost::asio::post(*strand, [this, strand, job = std::move(job)]() mutable {
    owner_mark held{this};  // by `strand`
    resume(std::move(job));
  });
}

bool strand_execution_unit::may_run_at_once(caf::scheduled_actor& writer) const {
  // blocked: CAF marks the mailbox so when the actor has nothing left and waits; the next
  // message then wakes it through exec_later. An actor that quit has a closed mailbox instead.
  return running == nullptr && writer.mailbox().blocked();
}

void strand_execution_unit::run_at_once(caf::scheduled_actor& writer, caf::mailbox_element& msg) {
  // may_run_at_once held when the caller asked; since then another thread may have woken the
  // writer (its resume is posted behind us, and takes what it sent): only this thread's state
  // is sure.
  BOOST_ASSERT(running == nullptr && ready_again == nullptr);
  owner_hold keep{this, owner_};  // the writer may let its owner, the caller, go
  BOOST_ASSERT(keep);
  caf::intrusive_ptr<caf::resumable> again;
  auto result = caf::resumable::awaiting_message;
  {
    turn_mark mark{this};
    // Handles the writer's exceptions and its quitting, as resume does. CAF's
    // activate(unit, msg) is these two calls and then set_receive_timeout (~40
    // instructions), which has nothing to do for the writer: its one behavior never has a
    // receive timeout (its timers are its connection's, response_writer.cpp), and CAF's own
    // resume loop calls it once per turn, not per message.
    BOOST_ASSERT(!writer.getf(caf::abstract_actor::has_timeout_flag));
    auto activation = writer.activate(this) ? writer.reactivate(msg)
                                            : caf::scheduled_actor::activation_result::terminated;
    // Only resume keeps a message the behavior skips (the writer skips none: it never awaits
    // a response): into the mailbox with it, where the resume below finds it.
    if (activation == caf::scheduled_actor::activation_result::skipped)
      writer.enqueue(caf::make_mailbox_element(std::move(msg.sender), msg.mid, {},
                                               msg.move_content_to_message()),
                     this);
    // A message this thread sent the writer during its run made it ready (exec_later kept
    // it): the rest of its turn, as CAF's resume loop would take it in its next round. (A
    // writer that quit meanwhile: resume finds it done.)
    if (ready_again != nullptr) {
      BOOST_ASSERT(ready_again == static_cast<caf::resumable*>(&writer));
      again.reset(std::exchange(ready_again, nullptr), false);
      result = again->resume(this, max_messages_per_turn - 1);
    }
  }
  end_turn(result, std::move(again));
}

void strand_execution_unit::resume(caf::intrusive_ptr<caf::resumable> job) {
  caf::resumable::resume_result result;
  {
    turn_mark mark{this};
    result = job->resume(this, max_messages_per_turn);
  }
  end_turn(result, std::move(job));
}

void strand_execution_unit::end_turn(caf::resumable::resume_result result,
                                     caf::intrusive_ptr<caf::resumable> job) {
  // Whoever called us holds the owner (post's handler, or exec_later's or run_at_once's
  // owner_hold, itself or a frame further up), which owns the listener.
  if (listener_)
    listener_->writer_turn_ended();
  schedule_woken_workers();
  if (result == caf::resumable::resume_later)
    return post(std::move(job));
  // done or awaiting_message: `job` releases the writer here (which owns this unit); whoever
  // called us still holds the connection, which shares it, so this unit lives until it returns.
}

// A producer with flow control is woken by its first acknowledgement; the writer sends them
// together after a batch of writes. Scheduled at once, the producer could take the core on
// that first one (the scheduler's wake-up preempts the I/O thread when both share it), make one
// write and sleep again, to be woken by the next: a thread switch per acknowledgement, a
// pattern that, once begun, kept itself up. Scheduled after the turn, it finds them all.
void strand_execution_unit::schedule_woken_workers() {
  for (auto* job : woken_workers)
    system().scheduler().enqueue(job);
  woken_workers.clear();
}

strand_execution_unit::connection_turn::connection_turn(strand_execution_unit& unit)
  : previous_(telling) {
  telling = &unit;
}

strand_execution_unit::connection_turn::~connection_turn() {
  telling = previous_;
}

strand_execution_unit::posted_send::posted_send() : previous_(telling) {
  telling = nullptr;
}

strand_execution_unit::posted_send::~posted_send() {
  telling = previous_;
}

}  // namespace fastactor
