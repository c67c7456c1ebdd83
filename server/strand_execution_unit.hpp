#pragma once
// strand_execution_unit: runs one connection's response writer on the connection's own Asio
// strand — an I/O thread — instead of on the CAF scheduler.
//
// Why: a writer on the scheduler costs two thread hops per request (the I/O thread hands the
// request to a scheduler thread, whose write goes back to the I/O thread); on the strand, a
// message to the writer becomes a post to the thread that owns its socket, and the writer's
// writes start without leaving that thread (docs/design-notes.md, "The writer runs on its
// connection's I/O thread", has the numbers).
// This is how CAF's own I/O module runs its brokers (caf/io/abstract_broker.hpp).
//
// The contract (caf/execution_unit.hpp, caf/scheduler/worker.hpp): whoever calls
// `exec_later(ptr)` has added one reference to `ptr` for us. The writer is resumed on the
// strand until it waits for messages or is done (the reference is released), or posted again
// when it yields after a batch (`resume_later`). Anything else handed to this unit — a worker
// the writer spawned, acknowledged or sent a message to — goes to the CAF scheduler, where it
// belongs, once the writer's turn is over (see schedule_woken_workers): a handler's workers
// start after the handler has returned, so a handler must never wait for one of them.
//
// A message the connection itself sends from its strand (a request, a write's completion)
// need not be posted at all: inside a `connection_turn` the writer is resumed at once, on the
// connection's stack — one post and one scheduler round trip less per request. Only one turn
// runs at a time: a message sent while the writer runs (from inside its own turn) simply
// waits in its mailbox for the turn's next round. And when the writer is idle, the
// connection's message does not even enter the mailbox: `run_at_once` hands it to the writer
// with CAF's one-shot activation, from the connection's stack.

#include "actors/writer_home.hpp"

#include "server/io_executor.hpp"

#include <caf/execution_unit.hpp>
#include <caf/intrusive_ptr.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduled_actor.hpp>

#include <memory>

namespace fastactor {

/// The writer_home of a session: its Asio strand (its I/O thread's io_context, which runs
/// the connection's handlers one at a time: io_executor.hpp).
class strand_execution_unit : public writer_home {
public:
  explicit strand_execution_unit(caf::actor_system& sys);

  /// The connection's executor (its handlers never run concurrently), as a pointer
  /// that shares the ownership of the connection (the session: an aliasing shared_ptr to its
  /// socket's executor). Kept weakly: the unit is the writer's, and a writer can outlive its
  /// connection (see exec_later), but its strand must not outlive the io_context.
  /// Set before the writer is spawned.
  void set_owner(const std::shared_ptr<const io_executor>& strand) { owner_ = strand; }

  /// Told after each of the writer's turns here, once the writer has stopped running (the
  /// session puts on the socket what it held back during the turn). Lives as long as the owner.
  class turn_listener {
  public:
    virtual void writer_turn_ended() = 0;

  protected:
    ~turn_listener() = default;
  };
  void set_turn_listener(turn_listener* listener) { listener_ = listener; }

  /// Thread-safe: CAF calls it from whichever thread sent the writer a message, once the
  /// message is in the mailbox. A sender preempted between the two can get here late: after
  /// a run_at_once (the mailbox stays marked blocked for the whole run) ended the writer, and
  /// after its connection went too. That wake-up is dropped: the writer has quit (its state
  /// held the connection), and CAF closed its mailbox, the message in it.
  void exec_later(caf::resumable* ptr) override;

  /// True while the writer runs here, on the calling thread: what it asks of its connection
  /// may then be done at once.
  bool in_turn() const;

  /// Posts `fn` to the strand, behind the handlers already queued there.
  void after_others(std::function<void()> fn) override;

  /// True when `writer` (this unit's writer) is idle — it runs nowhere and nothing waits in
  /// its mailbox — and no writer runs on this thread: a message the connection has for it may
  /// then be handed to run_at_once instead of its mailbox. Only for code running on the strand.
  bool may_run_at_once(caf::scheduled_actor& writer) const;

  /// Runs the idle writer (may_run_at_once, just asked) for `msg` now, on the caller's stack:
  /// CAF's one-shot activation (scheduled_actor::activate(unit, msg)), which caf::io's brokers
  /// use for their I/O events. No mailbox element on the heap, no enqueue, no resume loop: for
  /// a /hello that is a tenth of the server's own instructions (10,450 -> 9,250). Order is
  /// kept: the mailbox was empty, so nothing sent before `msg` waits behind it; a message sent
  /// during the run from this thread is handled right after it, in the same turn, and one
  /// from another thread in a turn posted behind it.
  void run_at_once(caf::scheduled_actor& writer, caf::mailbox_element& msg);

  /// While one lives, a message this thread sends the writer resumes it at once (unless it
  /// runs already). Only for code running on the strand.
  class connection_turn {
  public:
    explicit connection_turn(strand_execution_unit& unit);
    ~connection_turn();
    connection_turn(const connection_turn&) = delete;
    connection_turn& operator=(const connection_turn&) = delete;

  private:
    strand_execution_unit* previous_;
  };

  /// While one lives, a message this thread sends the writer is posted, even inside a
  /// connection_turn: the other connections on the thread go first (the fairness post of
  /// session::writer_turn_ended, whose turn may have been run inside one by after_others).
  class posted_send {
  public:
    posted_send();
    ~posted_send();
    posted_send(const posted_send&) = delete;
    posted_send& operator=(const posted_send&) = delete;

  private:
    strand_execution_unit* previous_;
  };

private:
  void post(caf::intrusive_ptr<caf::resumable> job);
  void resume(caf::intrusive_ptr<caf::resumable> job);
  void end_turn(caf::resumable::resume_result result, caf::intrusive_ptr<caf::resumable> job);
  void schedule_woken_workers();

  std::weak_ptr<const io_executor> owner_;  ///< the strand, while it lives
  turn_listener* listener_ = nullptr;
};

}  // namespace fastactor
