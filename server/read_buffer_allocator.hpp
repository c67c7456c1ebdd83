#pragma once
// read_buffer_allocator: the memory of sessions' read buffers, recycled per thread.
//
// A keep-alive session frees its read buffer after every request (an idle or streaming
// connection then holds no read memory) and allocates it again for the next one: a malloc and
// a free of read_size bytes per request, which glibc serves from its slow bins. Blocks of that
// size are kept here instead, per thread (the I/O threads are the ones that read), up to
// `cached_max` of them, and handed to the next buffer that needs one. Other sizes (a buffer
// that grew for a large header) go to the heap as before.

#include "server/request_reader.hpp"

#include <cstddef>
#include <memory>
#include <new>

namespace fastactor {

namespace detail {

/// A block of read_size bytes, from this thread's cache if it has one.
void* take_read_block();
/// Gives a block of read_size bytes back to this thread's cache (or the heap, when full).
void give_read_block(void* block) noexcept;

}  // namespace detail

template <class T>
class read_buffer_allocator {
public:
  using value_type = T;

  read_buffer_allocator() noexcept = default;
  template <class U>
  read_buffer_allocator(const read_buffer_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n * sizeof(T) == read_size)
      return static_cast<T*>(detail::take_read_block());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }

  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) == read_size)
      return detail::give_read_block(p);
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

/// A block a read fills outside a buffer (session::start_peek); read_size bytes come from the
/// thread's cache.
using read_block = std::unique_ptr<char[], read_block_deleter>;

inline read_block make_read_block(std::size_t size) {
  return read_block{read_buffer_allocator<char>{}.allocate(size), read_block_deleter{size}};
}

}  // namespace fastactor
