#include "server/read_buffer_allocator.hpp"

#include <vector>

namespace fastactor::detail {

namespace {

/// Enough for the connections one thread serves in a burst; 512 KiB at most per thread.
constexpr std::size_t cached_max = 128;

struct block_cache {
  std::vector<void*> blocks;

  block_cache() { blocks.reserve(cached_max); }
  ~block_cache() {
    for (auto* block : blocks)
      ::operator delete(block);
  }
};

block_cache& cache() {
  thread_local block_cache instance;
  return instance;
}

}  // namespace

void* take_read_block() {
  auto& blocks = cache().blocks;
  if (blocks.empty())
    return ::operator new(read_size);
  auto* block = blocks.back();
  blocks.pop_back();
  return block;
}

void give_read_block(void* block) noexcept {
  auto& blocks = cache().blocks;
  if (blocks.size() < cached_max)
    return blocks.push_back(block);  // never reallocates: reserved
  ::operator delete(block);
}

}  // namespace fastactor::detail
