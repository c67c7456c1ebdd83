#include "actors/stream_ids.hpp"

#include "actors/serial_number.hpp"

#include <algorithm>

namespace fastactor {

namespace {

/// This thread's block of some stream_ids: [next, end).
struct id_block {
  std::uint64_t owner = 0;  ///< the stream_ids' serial (0: none; serials start at 1)
  stream_id next = 0;
  stream_id end = 0;
};
thread_local id_block this_thread_ids;

}  // namespace

stream_ids::stream_ids() : serial_(next_serial_number()) {}

void stream_ids::use_blocks_of(stream_id size) {
  // Bounded, so that a block's end cannot wrap past 2^64 (and hand out 0, or an id twice).
  block_.store(std::clamp<stream_id>(size, 1, max_block), std::memory_order_relaxed);
}

stream_id stream_ids::next() {
  auto& mine = this_thread_ids;
  if (mine.owner != serial_ || mine.next == mine.end) {
    auto size = block_.load(std::memory_order_relaxed);
    auto first = taken_.fetch_add(size, std::memory_order_relaxed) + 1;
    mine = {serial_, first, first + size};
  }
  return mine.next++;
}

}  // namespace fastactor
