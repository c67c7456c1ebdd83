#pragma once
// read_buffer_allocator: the memory of sessions' read buffers, recycled per thread.
//
// A keep-alive session frees its read buffer after every request (an idle or streaming
// connection then holds no read memory) and allocates it again for the next one: a malloc and
// a free of read_size bytes per request, which glibc serves from its slow bins. Blocks of that
// size, and of the smaller sizes a waiting connection reads into (session::peek_size), are
// kept as the thread's spares instead (server/spare_blocks.hpp) and handed to the next buffer
// that needs one. Other sizes (a buffer that grew for a large header) go to the heap as before.

#include "server/request_reader.hpp"
#include "server/spare_blocks.hpp"

#include <cstddef>
#include <memory>
#include <new>

namespace fastactor {

namespace detail {

/// The read blocks kept as spares: read_size and the powers of two from 256 below it (the
/// blocks a waiting connection reads into). A buffer's other sizes are not asked for twice.
constexpr bool is_spare_read_size(std::size_t bytes) {
  return bytes >= 256 && bytes <= read_size && (bytes & (bytes - 1)) == 0;
}

}  // namespace detail

template <class T>
class read_buffer_allocator {
public:
  using value_type = T;

  read_buffer_allocator() noexcept = default;
  template <class U>
  read_buffer_allocator(const read_buffer_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (detail::is_spare_read_size(n * sizeof(T)))
      return static_cast<T*>(spare_blocks::take(n * sizeof(T)));
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }

  void deallocate(T* p, std::size_t n) noexcept {
    if (detail::is_spare_read_size(n * sizeof(T)))
      return spare_blocks::give(p, n * sizeof(T));
    ::operator delete(p);
  }

  template <class U>
  bool operator==(const read_buffer_allocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const read_buffer_allocator<U>&) const noexcept {
    return false;
  }
};

/// Frees a block of read_buffer_allocator's; its size says where the block goes back to.
struct read_block_deleter {
  std::size_t size = 0;
  void operator()(char* block) const noexcept {
    read_buffer_allocator<char>{}.deallocate(block, size);
  }
};

/// A block a read fills outside a buffer (session::start_peek), from the thread's spares.
using read_block = std::unique_ptr<char[], read_block_deleter>;

inline read_block make_read_block(std::size_t size) {
  return read_block{read_buffer_allocator<char>{}.allocate(size), read_block_deleter{size}};
}

}  // namespace fastactor
