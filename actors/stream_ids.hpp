#pragma once
// stream_ids: a server's stream ids (one per request scope), handed out per thread in blocks.
//
// Each id was one locked increment of a shared counter: ~20 cycles per request, on a cache
// line every I/O thread writes. Now a thread takes `block` ids at a time with one locked
// addition and hands them out with plain arithmetic. Ids stay unique among a server's
// requests (messages.hpp promises that); they are no longer in the order the requests came,
// across threads.
//
// A thread finds its block through a thread-local entry keyed by the ids' serial number,
// which is never reused (as request_counters' shards are found): ids of a server that is gone
// can never be handed out for a new one made at the same address. One entry per thread: a
// thread that serves two servers in turn takes a fresh block at each switch, wasting the rest
// of the last (64-bit ids do not run out).

#include <fastactor/messages.hpp>

#include <atomic>
#include <cstdint>

namespace fastactor {

class stream_ids {
public:
  /// Ids taken per thread at a time by default.
  static constexpr stream_id default_block = 256;

  stream_ids();
  stream_ids(const stream_ids&) = delete;
  stream_ids& operator=(const stream_ids&) = delete;

  /// A new id, never 0 and never given before by these ids. Any thread.
  stream_id next();

  /// The most ids a thread may take at a time.
  static constexpr stream_id max_block = stream_id{1} << 20;

  /// How many ids a thread takes at a time from now on (1 to max_block). A block a thread
  /// has already taken is handed out first. With 1, set before any id is taken and with
  /// one thread taking ids, each id is the one after last_taken(): the writer fuzzer
  /// predicts them so.
  void use_blocks_of(stream_id size);

  /// The highest id any thread's block reaches so far (with a block of 1: the last id given).
  stream_id last_taken() const { return taken_.load(std::memory_order_relaxed); }

private:
  const std::uint64_t serial_;  ///< unique in the process, never reused
  std::atomic<stream_id> block_{default_block};
  std::atomic<stream_id> taken_{0};  ///< ids up to this one belong to some thread's block
};

}  // namespace fastactor
