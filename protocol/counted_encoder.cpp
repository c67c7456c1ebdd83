#include "protocol/counted_encoder.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace fastactor {

namespace {

// The size header in front of each block; max_align_t keeps the block aligned as malloc's.
constexpr std::size_t header_size = alignof(std::max_align_t);
static_assert(header_size >= sizeof(std::size_t));

}  // namespace

void* counted_encoder::allocate(std::size_t size) noexcept {
  if (size > std::numeric_limits<std::size_t>::max() - header_size)
    return nullptr;
  std::size_t total = size + header_size;  // the header is memory we hold too
  if (refuse_ && total > memory_max_ - std::min(memory_max_, allocated_))
    return nullptr;
  auto* base = static_cast<unsigned char*>(std::malloc(total));
  if (!base)
    return nullptr;
  std::memcpy(base, &total, sizeof(total));
  allocated_ += total;
  peak_ = std::max(peak_, allocated_);
  if (budget_)
    budget_->fetch_add(static_cast<std::int64_t>(total), std::memory_order_relaxed);
  return base + header_size;
}

void counted_encoder::release(void* block) noexcept {
  if (!block)
    return;
  auto* base = static_cast<unsigned char*>(block) - header_size;
  std::size_t total;
  std::memcpy(&total, base, sizeof(total));
  allocated_ -= total;
  if (budget_)
    budget_->fetch_sub(static_cast<std::int64_t>(total), std::memory_order_relaxed);
  std::free(base);
}

void* counted_encoder::allocate_for(void* self, std::size_t size) noexcept {
  return static_cast<counted_encoder*>(self)->allocate(size);
}

void counted_encoder::release_for(void* self, void* block) noexcept {
  static_cast<counted_encoder*>(self)->release(block);
}

char* open_room(std::string& out, std::size_t room) {
  std::size_t used = out.size();
  if (out.capacity() - used < room)
    out.reserve(std::max(out.capacity() * 2, used + room));
  out.resize(used + room);
  return out.data() + used;
}

}  // namespace fastactor
