#include "actors/quiet_clock.hpp"

#include <caf/abstract_actor.hpp>

namespace fastactor::detail {

// Remembered before the event is queued: an actor's own later cancel_timeouts (cleanup runs
// after everything the actor did) then always finds it.
void quiet_clock::remember(caf::abstract_actor* self) {
  std::lock_guard<std::mutex> guard{mutex_};
  with_timeouts_.insert(self->id());
}

void quiet_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                                       caf::atom_value type, std::uint64_t id) {
  remember(self);
  super::set_ordinary_timeout(t, self, type, id);
}

void quiet_clock::set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) {
  remember(self);
  super::set_request_timeout(t, self, id);
}

void quiet_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                    std::uint64_t id) {
  remember(self);
  super::set_multi_timeout(t, self, type, id);
}

void quiet_clock::cancel_timeouts(caf::abstract_actor* self) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (with_timeouts_.erase(self->id()) == 0)
      return;  // nothing of this actor's can be in the schedule: no event, no wake-up
  }
  super::cancel_timeouts(self);
}

std::size_t quiet_clock::actors_with_timeouts() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return with_timeouts_.size();
}

}  // namespace fastactor::detail
