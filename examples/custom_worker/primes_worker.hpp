#pragma once
// The workers of the custom_worker example: ordinary CAF actors that write into a request's
// response through its fastactor::response_handle.
//
//   primes_worker   a stateful actor (caf::stateful_actor<primes_state>): finds the primes of
//                   one slice in small batches (one self-message per batch, so it never holds
//                   a scheduler thread for long) and writes them with flow control
//                   (write_acked, a window of a few unacknowledged writes)
//   summary_actor   a class-based actor (a caf::event_based_actor subclass): collects what
//                   the primes workers found and writes the summary line last
//   live_primes     a function-based actor with no end of its own: it streams one prime per
//                   interval until the request ends, and is then simply killed

#include <fastactor/fastactor.hpp>

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

namespace custom_worker {

using crunch_atom = caf::atom_constant<caf::atom("crunch")>;  // primes_worker: next batch
using slice_done_atom = caf::atom_constant<caf::atom("slicedone")>;  // worker -> summary
using watch_atom = caf::atom_constant<caf::atom("watch")>;  // handler -> summary
using next_atom = caf::atom_constant<caf::atom("next")>;  // live_primes: next prime

/// True if `n` is prime (trial division: fine for the bounds the handler enforces).
bool is_prime(std::uint64_t n);

/// The smallest prime >= n.
std::uint64_t next_prime(std::uint64_t n);

// -- primes_worker: a stateful actor ----------------------------------------------------------

struct primes_state {
  int worker = 0;  ///< 1..K, for the output lines
  std::uint64_t next = 0;  ///< the next candidate to test
  std::uint64_t last = 0;  ///< the last candidate of this worker's slice
  std::uint64_t found = 0;  ///< primes found so far
  int in_flight = 0;  ///< write_acked calls not yet acknowledged
  bool crunch_queued = false;  ///< a crunch_atom is waiting in the mailbox
  bool finished = false;
  caf::actor summary;  ///< gets (slice_done_atom, worker, found) at the end
  static inline const char* name = "custom_worker.primes";
};

/// At most this many flow-controlled writes are unacknowledged at a time.
constexpr int primes_window = 4;
/// Candidates tested per message: a batch takes a few milliseconds at most.
constexpr std::uint64_t primes_batch = 1024;

/// Writes one NDJSON line `{"prime":p,"worker":w}` per prime in [first, last], then reports
/// its count to `summary` and quits. An empty slice (first > last) reports 0 at once.
caf::behavior primes_worker(caf::stateful_actor<primes_state>* self, fastactor::response_handle out,
                            int worker, std::uint64_t first, std::uint64_t last,
                            caf::actor summary);

// -- summary_actor: a class-based actor -------------------------------------------------------

struct primes_job {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  int workers = 1;
};

/// Waits for the K primes workers (it monitors them: the handler sends it each one with
/// watch_atom), then writes `{"summary":{...}}` and quits. A worker that dies without its
/// report (it threw, say) is counted in "failed_workers"; the writer reports its error itself.
class summary_actor : public caf::event_based_actor {
public:
  summary_actor(caf::actor_config& cfg, fastactor::response_handle out, primes_job job);

  caf::behavior make_behavior() override;

  const char* name() const override { return "custom_worker.summary"; }

private:
  void finish_one();

  fastactor::response_handle out_;
  primes_job job_;
  std::vector<std::uint64_t> per_worker_;
  int remaining_;
  int failed_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// -- live_primes: a worker that is stopped when the request ends -------------------------------

/// Streams `{"prime":p}` lines, one every `interval`, starting at the first prime >= from.
/// It never quits on its own: the request ends when the client goes away, at the server's
/// --request-timeout-ms deadline, or on shutdown, and the writer then kills it.
caf::behavior live_primes(caf::event_based_actor* self, fastactor::response_handle out,
                          std::uint64_t from, std::chrono::milliseconds interval);

}  // namespace custom_worker
