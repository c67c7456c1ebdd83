#include "primes_worker.hpp"

#include <exception>
#include <iostream>
#include <string>

namespace custom_worker {

bool is_prime(std::uint64_t n) {
  if (n < 2)
    return false;
  if (n % 2 == 0)
    return n == 2;
  for (std::uint64_t d = 3; d * d <= n; d += 2)
    if (n % d == 0)
      return false;
  return true;
}

std::uint64_t next_prime(std::uint64_t n) {
  while (!is_prime(n))
    ++n;
  return n;
}

// -- primes_worker ----------------------------------------------------------------------------

namespace {

using primes_actor = caf::stateful_actor<primes_state>;

/// Reports to the summary and quits, once every candidate is tested and every write is acked.
/// The report goes out after the last ack, so all of this worker's lines are already in the
/// writer's queue when the summary writes its line: the summary always comes last.
void finish_if_done(primes_actor* self) {
  auto& st = self->state;
  if (st.finished || st.next <= st.last || st.in_flight > 0)
    return;
  st.finished = true;
  self->send(st.summary, slice_done_atom::value, st.worker, st.found);
  self->quit();  // a normal exit: the writer counts this worker as done
}

/// Queues the next batch unless one is queued, the slice is done, or the window is full (then
/// the next ack calls this again). A self-message instead of a loop: between two batches the
/// actor handles its acks and lets other actors run on this scheduler thread.
void schedule(primes_actor* self) {
  auto& st = self->state;
  if (st.crunch_queued || st.next > st.last || st.in_flight >= primes_window)
    return;
  st.crunch_queued = true;
  self->send(self, crunch_atom::value);
}

void crunch(primes_actor* self, const fastactor::response_handle& out) {
  auto& st = self->state;
  st.crunch_queued = false;
  std::string lines;
  auto end = std::min(st.last, st.next + primes_batch - 1);
  for (auto n = st.next; n <= end; ++n)
    if (is_prime(n)) {
      lines += fastactor::ndjson_line({{"prime", n}, {"worker", st.worker}});
      ++st.found;
    }
  st.next = end + 1;
  if (!lines.empty()) {
    ++st.in_flight;
    // Flow control: the ack comes once the writer's queue is below --stream-buffer. If the
    // request ends first, the request fails instead and, without an error handler, the actor
    // exits; it is being stopped anyway (see live_primes).
    out.write_acked(self, std::move(lines)).then([self](fastactor::ack_atom) {
      --self->state.in_flight;
      schedule(self);
      finish_if_done(self);
    });
  }
  schedule(self);
  finish_if_done(self);
}

}  // namespace

caf::behavior primes_worker(primes_actor* self, fastactor::response_handle out, int worker,
                            std::uint64_t first, std::uint64_t last, caf::actor summary) {
  auto& st = self->state;
  st.worker = worker;
  st.next = first;
  st.last = last;
  st.summary = std::move(summary);
  if (first > last) {  // an empty slice (more workers than numbers)
    finish_if_done(self);
    return {};
  }
  schedule(self);
  return {
    [self, out](crunch_atom) { crunch(self, out); },
  };
}

// -- summary_actor ----------------------------------------------------------------------------

summary_actor::summary_actor(caf::actor_config& cfg, fastactor::response_handle out, primes_job job)
  : caf::event_based_actor(cfg), out_(std::move(out)), job_(job),
    per_worker_(static_cast<std::size_t>(job.workers), 0), remaining_(job.workers) {
  // ctx.adopt() (unlike ctx.spawn()) installs nothing in the actor: this makes an exception
  // an error entry "threw: ..." of the response, as for spawned workers. Without it, CAF's
  // default handler prints the exception to stdout and the response only says
  // "exited: system_error(runtime_error)".
  fastactor::report_worker_exceptions(this, out_);
  // Monitoring, not reports alone: a worker that dies without reporting must not leave the
  // response waiting for the deadline. A worker's report is sent before it terminates, so it
  // arrives before the worker's down message.
  set_down_handler([this](caf::down_msg& msg) {
    if (msg.reason && msg.reason != caf::exit_reason::normal)
      ++failed_;
    finish_one();
  });
}

caf::behavior summary_actor::make_behavior() {
  return {
    [this](watch_atom, const caf::actor& worker) { monitor(worker); },
    [this](slice_done_atom, int worker, std::uint64_t found) {
      if (worker >= 1 && worker <= job_.workers)
        per_worker_[static_cast<std::size_t>(worker - 1)] = found;
    },
  };
}

void summary_actor::finish_one() {
  if (--remaining_ > 0)
    return;
  std::uint64_t total = 0;
  for (auto n : per_worker_)
    total += n;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                  - started_)
              .count();
  out_.write(this,
             fastactor::ndjson_line({{"summary",
                                      {{"from", job_.from},
                                       {"to", job_.to},
                                       {"workers", job_.workers},
                                       {"primes", total},
                                       {"per_worker", per_worker_},
                                       {"failed_workers", failed_},
                                       {"elapsed_ms", ms}}}}));
  quit();  // after the write: an actor's messages arrive in order, its exit included
}

// -- live_primes ------------------------------------------------------------------------------

caf::behavior live_primes(caf::event_based_actor* self, fastactor::response_handle out,
                          std::uint64_t from, std::chrono::milliseconds interval) {
  // This worker has no end of its own. When the request ends (client gone, deadline,
  // shutdown) the writer sends it an exit message with the reason `request_finished`; it
  // has no exit handler, so CAF's default one makes it quit with that reason right away:
  // it just gets killed, mid-interval, and whatever it would still send is dropped by the
  // writer (stale stream id). No cleanup code is needed; this functor only makes it visible.
  self->attach_functor([id = self->id()](const caf::error& reason) {
    std::cerr << "custom_worker: live worker " << id << " stopped: " << fastactor::describe(reason)
              << '\n';
  });
  self->send(self, next_atom::value, from);
  return {
    [=](next_atom, std::uint64_t n) {
      auto p = next_prime(n);
      out.write_acked(self, fastactor::ndjson_line({{"prime", p}})).then([=](fastactor::ack_atom) {
        self->delayed_send(self, interval, next_atom::value, p + 1);
      });
    },
  };
}

}  // namespace custom_worker
