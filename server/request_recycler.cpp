#include "server/request_recycler.hpp"

#include "server/spare_blocks.hpp"

#include <string>

namespace fastactor {

namespace {

/// The most spent requests a thread keeps.
constexpr std::size_t spent_max = 64;
/// A spent request's other lists (query, path parameters, trailer) keep room for this many.
constexpr std::size_t other_lists_kept_max = 16;
/// A spent request's strings (target, path, peer, a small body) keep room for this many bytes.
constexpr std::size_t string_kept_max = 256;

// Trivially constructed and destroyed (no guard on a thread's way in); the requests are
// deleted by a `spent_deleter`, made when the thread keeps its first one.
struct spent_requests {
  routed_request* requests[spent_max];
  std::size_t count = 0;
  bool gone = false;  ///< the thread is ending: nothing is kept any more
};
thread_local spent_requests spent;

struct spent_deleter {
  ~spent_deleter() {
    spent.gone = true;
    while (spent.count > 0)
      delete spent.requests[--spent.count];
  }
};

void clear_keeping(std::string& s) {
  if (s.capacity() > string_kept_max)
    std::string{}.swap(s);
  else
    s.clear();
}

void clear_keeping(name_value_list& list, std::size_t kept_max) {
  if (list.capacity() > kept_max)
    name_value_list{}.swap(list);
  else
    list.clear();
}

// Each member of request and routed_request is emptied below: a member added must be too.
static_assert(sizeof(request) == 8 + 5 * sizeof(std::string) + 4 * sizeof(name_value_list) + 8,
              "a member added to fastactor::request must be emptied in empty()");
static_assert(sizeof(routed_request) == sizeof(request) + sizeof(std::shared_ptr<const handler>),
              "a member added to fastactor::routed_request must be emptied in empty()");

/// Every member back to its default, as a new request has it; small strings and lists keep
/// their room (but none of their content: a spent request holds nothing a client sent).
void empty(routed_request& r) noexcept {
  auto& q = r.req;
  q.method = method::get;
  clear_keeping(q.other_method);
  clear_keeping(q.target);
  clear_keeping(q.path);
  clear_keeping(q.query, other_lists_kept_max);
  clear_keeping(q.params, other_lists_kept_max);
  clear_keeping(q.headers, fields_kept_max);
  clear_keeping(q.trailers, other_lists_kept_max);
  clear_keeping(q.body);
  clear_keeping(q.peer);
  q.version = 11;
  q.keep_alive = true;
  r.fn.reset();
}

/// The shared_ptr's deleter: the spent request is emptied and kept, or deleted.
struct keep_spent {
  void operator()(routed_request* r) const noexcept {
    if (spare_blocks::per_size_max() == 0 || spent.gone || spent.count == spent_max) {
      delete r;
      return;
    }
    if (spent.count == 0) {
      thread_local spent_deleter deleter;  // registered with the first request a thread keeps
      (void)deleter;
    }
    empty(*r);
    spent.requests[spent.count++] = r;
  }
};

/// Allocates the shared_ptr's control block from the thread's spare blocks.
template <class T>
struct spare_block_allocator {
  using value_type = T;

  spare_block_allocator() noexcept = default;
  template <class U>
  spare_block_allocator(const spare_block_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(spare_blocks::take(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { spare_blocks::give(p, n * sizeof(T)); }

  template <class U>
  bool operator==(const spare_block_allocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const spare_block_allocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace

std::shared_ptr<routed_request> make_routed_request() {
  auto* r = spent.count > 0 ? spent.requests[--spent.count] : new routed_request{};
  // Should the control block's allocation fail, the constructor hands `r` to the deleter.
  return std::shared_ptr<routed_request>{r, keep_spent{}, spare_block_allocator<routed_request>{}};
}

std::size_t kept_routed_requests() {
  return spent.count;
}

}  // namespace fastactor
