#pragma once
// header_arena: the memory a request's header is parsed into. Beast's field container makes
// a heap block per field and one for the request line, and frees them one by one; but a
// request's fields all die together, with its parser. So they are cut in turn from one
// buffer that lives in the parser's own block, and a request whose header fits costs no
// allocation for it (wrk's /hello: two; curl's: four). What does not fit (a browser's dozen
// fields, a long cookie) goes to the heap as before. The buffer is refilled from its start
// for each request, once the last request's parser is gone (incoming_request::restart).

#include <cstddef>
#include <limits>
#include <new>

// Under AddressSanitizer the buffer's free part is poisoned: a field read after its request
// was done must be a report, not the next request's bytes.
#if defined(__SANITIZE_ADDRESS__)
#  define FASTACTOR_ARENA_POISON 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define FASTACTOR_ARENA_POISON 1
#  endif
#endif
#ifdef FASTACTOR_ARENA_POISON
#  include <sanitizer/asan_interface.h>
#endif

namespace fastactor {

class header_arena {
public:
  /// Sized so that the request being read (incoming_request, ~350 bytes besides) stays in
  /// one block of the allocator's per-thread cache (at most 1,032 bytes in glibc).
  static constexpr std::size_t capacity = 640;

  header_arena() { poison_all(); }
  ~header_arena() { unpoison(0, capacity); }
  header_arena(const header_arena&) = delete;
  header_arena& operator=(const header_arena&) = delete;

  void* allocate(std::size_t bytes, std::size_t align) {
    if (bytes == 0)
      bytes = 1;  // a block of its own, inside the buffer (owns() must know it)
    auto start = (used_ + align - 1) & ~(align - 1);
    if (align <= alignof(std::max_align_t) && start < capacity && bytes <= capacity - start) {
      unpoison(start, bytes);
      used_ = start + bytes;
      return buffer_ + start;
    }
    return ::operator new(bytes);
  }

  /// Memory from the buffer is given back with the arena; only the heap's is freed here.
  void deallocate(void* p, [[maybe_unused]] std::size_t bytes) noexcept {
    if (!owns(p))
      ::operator delete(p);  // unsized: clang 14 declares no sized delete by default
  }

  bool owns(const void* p) const noexcept {
    auto* c = static_cast<const unsigned char*>(p);
    return c >= buffer_ && c < buffer_ + capacity;
  }

  std::size_t used() const noexcept { return used_; }

  /// Only once nothing cut from the buffer is in use any more.
  void reset() noexcept {
    used_ = 0;
    poison_all();
  }

private:
  void poison_all() noexcept {
#ifdef FASTACTOR_ARENA_POISON
    ASAN_POISON_MEMORY_REGION(buffer_, capacity);
#endif
  }
  void unpoison([[maybe_unused]] std::size_t from, [[maybe_unused]] std::size_t bytes) noexcept {
#ifdef FASTACTOR_ARENA_POISON
    ASAN_UNPOISON_MEMORY_REGION(buffer_ + from, bytes);
#endif
  }

  alignas(std::max_align_t) unsigned char buffer_[capacity];
  std::size_t used_ = 0;
};

/// A standard allocator over a header_arena; without one (default-constructed) it is the
/// heap's, so that a message built elsewhere (HTTP/2, tests) needs nothing.
template <class T>
class header_allocator {
public:
  using value_type = T;

  header_allocator() noexcept = default;
  explicit header_allocator(header_arena* arena) noexcept : arena_(arena) {}
  template <class U>
  header_allocator(const header_allocator<U>& other) noexcept : arena_(other.arena()) {}

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
      throw std::bad_array_new_length{};
    if (!arena_)
      return static_cast<T*>(::operator new(n * sizeof(T)));
    return static_cast<T*>(arena_->allocate(n * sizeof(T), alignof(T)));
  }

  void deallocate(T* p, std::size_t n) noexcept {
    if (!arena_)
      return ::operator delete(p);
    arena_->deallocate(p, n * sizeof(T));
  }

  header_arena* arena() const noexcept { return arena_; }

  template <class U>
  bool operator==(const header_allocator<U>& other) const noexcept {
    return arena_ == other.arena();
  }
  template <class U>
  bool operator!=(const header_allocator<U>& other) const noexcept {
    return arena_ != other.arena();
  }

private:
  header_arena* arena_ = nullptr;
};

}  // namespace fastactor
