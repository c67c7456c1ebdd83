#include "node_workers.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace demo {

namespace {

using next_atom = caf::atom_constant<caf::atom("next")>;

struct producer_state {
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  static inline const char* name = "demo.chunk_producer";
};

/// Streams `chunks` chunks of `size` bytes (chunk i is the letter 'a' + i % 26) to the
/// request's writer on the server, keeping up to `window` writes unacknowledged: across the
/// network a window of ~32 keeps the pipe full while a slow client still slows it down.
caf::behavior chunk_producer(caf::stateful_actor<producer_state>* self,
                             fastactor::response_handle out, std::uint64_t chunks,
                             std::uint64_t size, std::uint32_t window) {
  auto send_one = [=] {
    auto i = self->state.sent++;
    out.write_acked(self, std::string(size, static_cast<char>('a' + i % 26)))
      .then([=](fastactor::ack_atom) {
        if (++self->state.acked == chunks)
          return self->quit();
        if (self->state.sent < chunks)
          self->send(self, next_atom::value);
      });
  };
  if (chunks == 0) {
    self->quit();
    return {};
  }
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(std::max(window, 1u), chunks); ++i)
    send_one();
  // Several acks may queue several `next`s before any is handled: check again here.
  return {[=](next_atom) {
    if (self->state.sent < chunks)
      send_one();
  }};
}

}  // namespace

void register_node_workers(caf::actor_system_config& cfg) {
  cfg.add_actor_type(chunk_producer_type, chunk_producer);
}

}  // namespace demo
