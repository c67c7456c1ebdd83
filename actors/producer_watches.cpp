#include "actors/producer_watches.hpp"

#include "actors/internal_messages.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace fastactor {

void producer_watches::add(const caf::actor& producer, const caf::actor_addr& writer) {
  bool first = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto [entry, inserted] = producers_.try_emplace(producer.address());
    ++entry->second[writer];
    first = inserted;
  }
  if (!first)
    return;
  // Outside the lock: attaching to an actor that has already ended runs the functor at once,
  // here, and it takes the lock. Until it is attached, the entry above collects the writers
  // of any response that subscribes meanwhile; the functor tells them all.
  caf::actor_cast<caf::abstract_actor*>(producer)->attach_functor(
    [watches = weak_from_this(), who = producer.address()](const caf::error& reason) {
      if (auto w = watches.lock())
        w->ended(who, reason);
    });
}

void producer_watches::remove(const caf::actor_addr& producer, const caf::actor_addr& writer) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto entry = producers_.find(producer);
  if (entry == producers_.end())
    return;
  auto holder = entry->second.find(writer);
  if (holder != entry->second.end() && --holder->second == 0)
    entry->second.erase(holder);
}

std::size_t producer_watches::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return producers_.size();
}

void producer_watches::ended(const caf::actor_addr& producer, const caf::error& reason) {
  holders writers;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto entry = producers_.find(producer);
    if (entry == producers_.end())
      return;
    writers = std::move(entry->second);
    producers_.erase(entry);
  }
  for (auto& held : writers)
    if (auto writer = caf::actor_cast<caf::actor>(held.first))  // null: that writer is gone
      caf::anon_send(writer, producer_ended_atom::value, producer, reason, token_);
}

}  // namespace fastactor
