#pragma once
// serial_number: numbers unique in the process and never reused. A key made of one cannot match
// a later object made at the same address (request_counters' shards, stream_ids' blocks, both
// found through thread-local caches), nor a later thread given the same std::thread::id.

#include <atomic>
#include <cstdint>

namespace fastactor {

/// A new number: never 0, never given before in this process. Any thread.
inline std::uint64_t next_serial_number() {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace fastactor
