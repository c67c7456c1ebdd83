#include <fastactor/task_context.hpp>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

namespace fastactor {

// The writer answers every acknowledged write: with an ack, or with an error when the
// request ends (it refuses the acks it holds then, and CAF bounces a request left in a dead
// writer's mailbox), so the wait ends.
bool task_context::write_acked(std::string bytes) {
  if (cancelled() || !out_)
    return false;
  if (!self_)
    self_ = std::make_unique<caf::scoped_actor>(
      caf::actor_cast<caf::abstract_actor*>(out_.writer())->home_system());
  bool acked = false;
  detail::handoff_release(out_.writer());
  (*self_)
    ->request(out_.writer(), caf::infinite, write_atom::value, out_.id(), std::move(bytes))
    .receive([&](ack_atom) { acked = true; }, [](caf::error&) {});
  return acked;
}

}  // namespace fastactor
