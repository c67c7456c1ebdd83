#pragma once
// scope_table: the request scopes a writer has under way — one at a time on an HTTP/1.1
// connection, one per stream on an HTTP/2 connection (up to its concurrent-stream limit).
//
// The first scope lives inline, so that a connection that answers one request at a time
// (every HTTP/1.1 connection) never allocates for its scopes; more go into a map, made with
// the second (an empty std::map is 48 bytes, which every paced stream would hold for its
// whole life; the pointer is 8). Scopes never move: a reference to one stays valid until it
// is erased.

#include "actors/request_scope.hpp"

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace fastactor {

class scope_table {
public:
  template <class... Ts>
  request_scope& emplace(stream_id id, Ts&&... xs) {
    if (!solo_) {
      solo_.emplace(id, std::forward<Ts>(xs)...);
      return *solo_;
    }
    if (!more_)
      more_ = std::make_unique<std::map<stream_id, request_scope>>();
    return more_
      ->emplace(std::piecewise_construct, std::forward_as_tuple(id),
                std::forward_as_tuple(id, std::forward<Ts>(xs)...))
      .first->second;
  }

  /// The scope of stream `id`, or null.
  request_scope* find(stream_id id) {
    if (solo_ && solo_->id == id)
      return &*solo_;
    if (!more_)
      return nullptr;
    auto i = more_->find(id);
    return i == more_->end() ? nullptr : &i->second;
  }

  /// The scope answered on channel `ch`, or null.
  request_scope* on_channel(channel_id ch) {
    request_scope* found = nullptr;
    for_each([&](request_scope& sc) {
      if (sc.channel == ch)
        found = &sc;
    });
    return found;
  }

  void erase(request_scope& sc) {
    if (solo_ && &*solo_ == &sc)
      solo_.reset();
    else if (more_)
      more_->erase(sc.id);
  }

  bool empty() const { return size() == 0; }
  std::size_t size() const { return (solo_ ? 1 : 0) + (more_ ? more_->size() : 0); }

  /// Calls `fn(request_scope&)` for each scope; `fn` must not add or erase any (see ids()).
  template <class F>
  void for_each(F&& fn) {
    if (solo_)
      fn(*solo_);
    if (more_)
      for (auto& entry : *more_)
        fn(entry.second);
  }

  /// The ids of all scopes: for a loop that may end some of them.
  std::vector<stream_id> ids() {
    std::vector<stream_id> all;
    all.reserve(size());
    for_each([&](request_scope& sc) { all.push_back(sc.id); });
    return all;
  }

private:
  std::optional<request_scope> solo_;
  std::unique_ptr<std::map<stream_id, request_scope>> more_;  ///< made with the second scope
};

}  // namespace fastactor
