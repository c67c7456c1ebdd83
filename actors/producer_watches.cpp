#include "actors/producer_watches.hpp"

#include "actors/internal_messages.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace fastactor {

/// The one attachment a server puts on a producer: tells the server's watches when the
/// producer ends, and matches the token the watches take it off with.
class producer_watches::attachment : public caf::attachable {
public:
  explicit attachment(producer_watches& owner, caf::actor_addr producer)
    : watches_(owner.weak_from_this()), owner_(&owner), producer_(std::move(producer)) {}

  void actor_exited(const caf::error& reason, caf::execution_unit*) override {
    if (auto w = watches_.lock())  // null: the server is gone
      w->ended(producer_, reason);
  }

  bool matches(const token& what) override {
    return what.subtype == attachment_token_type && what.ptr == owner_;
  }

private:
  std::weak_ptr<producer_watches> watches_;
  const void* owner_;  ///< only compared: the watches may be gone when CAF asks
  caf::actor_addr producer_;
};

producer_watches::~producer_watches() {
  // No attachment of a server that is gone stays on a producer that lives on.
  for (auto& entry : producers_)
    if (auto producer = caf::actor_cast<caf::strong_actor_ptr>(entry.first))
      producer->get()->detach(caf::attachable::token{attachment_token_type, this});
}

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
  // Outside the lock: attaching to an actor that has already ended runs the attachment at once,
  // here, and it takes the lock. Until it is attached, the entry above collects the writers
  // of any response that subscribes meanwhile; the attachment tells them all.
  caf::actor_cast<caf::abstract_actor*>(producer)->attach(
    caf::attachable_ptr{new attachment(*this, producer.address())});
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
