#pragma once
// writer_home: where a response writer runs — its connection's own I/O thread, not the CAF
// scheduler (docs/design-notes.md, "The writer runs on its connection's I/O thread").
//
// The writer and its home meet here. CAF hands an execution unit every actor that becomes
// ready through it: the writer itself (it passes its home for its own messages), but also a
// worker the writer spawned or sent a message to. The writer marks itself with
// `writer_subtype`; a home runs what `runs_at_home` accepts and sends the rest to the
// scheduler. The server implements a home on an Asio strand (server/strand_execution_unit).

#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

#include <functional>

namespace fastactor {

/// What the writer reports as its subtype (CAF's name for actors run by I/O threads).
inline constexpr auto writer_subtype = caf::resumable::io_actor;

/// True for a response writer, which must run on its home; false for anything else.
inline bool runs_at_home(const caf::resumable& job) {
  return job.subtype() == writer_subtype;
}

/// The execution unit a writer is spawned with (spawn_response_writer). The writer owns it:
/// CAF wakes a blocked actor through the unit after the waking message is in its mailbox, so
/// a sender preempted in between calls `exec_later` whenever it runs again — possibly after
/// the writer quit and its connection is gone. A home must therefore never reach its
/// connection except through a weak reference, and drop a wake-up it cannot deliver.
class writer_home : public caf::execution_unit {
public:
  explicit writer_home(caf::actor_system* sys) : caf::execution_unit(sys) {}

  /// Runs `fn` here once the work already waiting here has had its turn: how a writer with
  /// more costly work to do (a coded stream's next slice) lets the other connections on its
  /// thread go first. A message sent to the writer by `fn` resumes it at once.
  virtual void after_others(std::function<void()> fn) = 0;
};

}  // namespace fastactor
