#pragma once
// producer_watches: how a server's writers learn that a shared producer (context::subscribe)
// ended.
//
// A monitor per subscription would put one CAF attachable per response on the producer, and
// CAF 0.17 keeps an actor's attachables in a list that every demonitor scans: a producer that
// feeds n responses paid O(n) for each response that ended (10,000 paced streams fed by one
// actor: 4.0 s of server CPU, against 3.2 s with a worker actor each; 19,900: 11.2 s; and a
// hard stop outlasted its patience). Instead a server attaches one attachment of its own to a
// producer, the first time one of its responses subscribes to it, and keeps the writers to tell in
// a hash map: subscribing and letting go are O(1), and the producer carries one attachable per
// server whatever the number of responses it feeds — taken off again when the server goes, so that
// a producer that outlives many servers in one actor system does not collect them.
//
// When the producer ends, each writer that still holds it gets
//   (producer_ended_atom, caf::actor_addr producer, caf::error reason, std::uint64_t token)
// with this server's token, which never leaves the process: a message without it is forged.

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/error.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace fastactor {

class producer_watches : public std::enable_shared_from_this<producer_watches> {
public:
  explicit producer_watches(std::uint64_t token) : token_(token) {}
  ~producer_watches();

  producer_watches(const producer_watches&) = delete;
  producer_watches& operator=(const producer_watches&) = delete;

  /// `writer` holds `producer` once more (one more of its responses is subscribed to it). If
  /// the producer has already ended, the writer is told at once.
  void add(const caf::actor& producer, const caf::actor_addr& writer);

  /// `writer` holds `producer` once less.
  void remove(const caf::actor_addr& producer, const caf::actor_addr& writer);

  /// What the end message carries.
  std::uint64_t token() const { return token_; }

  /// The subtype of the token its attachment on a producer matches (with this object's
  /// address as the token's pointer): `producer->detach({attachment_token_type, &watches})`.
  static constexpr std::size_t attachment_token_type = 0x66617077;  // "fapw": no token of CAF's

private:
  class attachment;  // what a producer carries for this server (producer_watches.cpp)
  using holders = std::unordered_map<caf::actor_addr, std::size_t>;

  /// The producer ended: tells each writer that holds it, and forgets it.
  void ended(const caf::actor_addr& producer, const caf::error& reason);

  const std::uint64_t token_;
  std::mutex mtx_;
  std::unordered_map<caf::actor_addr, holders> producers_;
};

}  // namespace fastactor
