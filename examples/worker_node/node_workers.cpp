#include "node_workers.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace demo {

namespace {

using next_atom = caf::atom_constant<caf::atom("next")>;
using tick_atom = caf::atom_constant<caf::atom("fa_tick")>;

std::atomic<std::uint64_t> live_workers{0};
std::atomic<std::uint64_t> spawned_workers{0};

/// Counts `self` as a live worker until it terminates, whatever ends it.
void count_worker(caf::abstract_actor* self) {
  live_workers.fetch_add(1, std::memory_order_relaxed);
  spawned_workers.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([] { live_workers.fetch_sub(1, std::memory_order_relaxed); });
}

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
  count_worker(self);
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

/// Busy until stopped, as a real producer is: the pending timer also keeps a reference, so
/// CAF cannot collect it as unreachable once nobody else refers to it (an orphan that
/// would stop by itself proves nothing).
caf::behavior tick_until_stopped(caf::event_based_actor* self) {
  self->delayed_send(self, std::chrono::milliseconds(100), tick_atom::value);
  return {
    [=](tick_atom) { self->delayed_send(self, std::chrono::milliseconds(100), tick_atom::value); }};
}

/// A class, not a function: a class's constructor runs inside the node's spawn, before the
/// reply, so sleeping there delays the spawn's completion as a slow node would.
class slow_spawn : public caf::event_based_actor {
public:
  slow_spawn(caf::actor_config& cfg, const fastactor::response_handle&,
             const std::uint32_t& delay_ms)
    : caf::event_based_actor(cfg) {
    count_worker(this);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }

  caf::behavior make_behavior() override { return tick_until_stopped(this); }
};

/// Sends one line, then waits: only an exit that its handler cannot refuse (kill) stops it.
caf::behavior deaf_worker(caf::event_based_actor* self, fastactor::response_handle out) {
  count_worker(self);
  self->set_exit_handler([](caf::exit_msg&) {});
  out.write(self, "deaf\n");
  return tick_until_stopped(self);
}

}  // namespace

worker_counts counts() {
  return {live_workers.load(std::memory_order_relaxed),
          spawned_workers.load(std::memory_order_relaxed)};
}

void register_node_workers(caf::actor_system_config& cfg, bool test_workers) {
  cfg.add_actor_type(chunk_producer_type, chunk_producer);
  if (!test_workers)
    return;
  cfg.add_actor_type<slow_spawn, const fastactor::response_handle&, const std::uint32_t&>(
    slow_spawn_type);
  cfg.add_actor_type(deaf_type, deaf_worker);
}

}  // namespace demo
