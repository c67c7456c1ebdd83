#include "server/read_buffer_allocator.hpp"

#include <vector>

namespace fastactor::detail {

namespace {

// Under AddressSanitizer nothing is cached: a block used after its buffer let it go must be
// a use-after-free ASan sees, not a write into the next connection's buffer.
#if defined(__SANITIZE_ADDRESS__)
#  define FASTACTOR_NO_BLOCK_CACHE 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define FASTACTOR_NO_BLOCK_CACHE 1
#  endif
#endif

/// Enough for the connections one thread serves in a burst; 512 KiB at most per thread.
#ifdef FASTACTOR_NO_BLOCK_CACHE
constexpr std::size_t cached_max = 0;
#else
constexpr std::size_t cached_max = 128;
#endif

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
