#include "server/spare_blocks.hpp"

#include <new>

namespace fastactor::spare_blocks {

namespace {

#if defined(__SANITIZE_ADDRESS__)
#  define FASTACTOR_NO_SPARE_BLOCKS 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define FASTACTOR_NO_SPARE_BLOCKS 1
#  endif
#endif

#ifdef FASTACTOR_NO_SPARE_BLOCKS
constexpr std::size_t blocks_per_size = 0;
#else
/// Enough for the connections one thread serves in a burst.
constexpr std::size_t blocks_per_size = 128;
#endif

/// The spares of one size, linked through their own first bytes (every size kept is larger
/// than a pointer).
struct spares_of_size {
  std::size_t size = 0;  ///< 0: not claimed yet
  void* first = nullptr;
  std::size_t count = 0;
};

/// Trivially constructed and destroyed, so a thread reaches its stock without the guard of a
/// dynamically initialized thread_local: take and give cost a few instructions. The blocks are
/// freed by a `stock_freer`, made when the thread keeps its first one.
struct stock {
  spares_of_size sizes[sizes_max];
  bool gone = false;  ///< the thread is ending: nothing is kept any more
};
thread_local stock spares;

struct stock_freer {
  ~stock_freer() {
    spares.gone = true;
    for (auto& of_size : spares.sizes)
      while (of_size.first) {
        auto* block = of_size.first;
        of_size.first = *static_cast<void**>(block);
        ::operator delete(block);
      }
  }
};

/// Claims a slot for `size`, or finds its own; null when the slots are taken by other sizes.
spares_of_size* slot_for(std::size_t size) {
  for (auto& of_size : spares.sizes) {
    if (of_size.size == size)
      return &of_size;
    if (of_size.size == 0) {
      thread_local stock_freer freer;  // registered with the first size a thread keeps
      (void)freer;
      of_size.size = size;
      return &of_size;
    }
  }
  return nullptr;
}

}  // namespace

std::size_t per_size_max() {
  return blocks_per_size;
}

void* take(std::size_t size) {
  for (auto& of_size : spares.sizes) {
    if (of_size.size == size) {
      if (auto* block = of_size.first) {
        of_size.first = *static_cast<void**>(block);
        --of_size.count;
        return block;
      }
      break;
    }
    if (of_size.size == 0)
      break;
  }
  return ::operator new(size);
}

void give(void* block, std::size_t size) noexcept {
  if (blocks_per_size > 0 && !spares.gone && size >= sizeof(void*)) {
    auto* of_size = slot_for(size);
    if (of_size && of_size->count < blocks_per_size) {
      *static_cast<void**>(block) = of_size->first;
      of_size->first = block;
      ++of_size->count;
      return;
    }
  }
  ::operator delete(block);
}

std::size_t kept(std::size_t size) {
  for (auto& of_size : spares.sizes)
    if (of_size.size == size)
      return of_size.count;
  return 0;
}

}  // namespace fastactor::spare_blocks
