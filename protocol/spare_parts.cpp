#include "protocol/spare_parts.hpp"

#include "protocol/release_memory.hpp"

#include <utility>

namespace fastactor::spare_parts {

namespace {

std::vector<std::string>& spare() noexcept {
  thread_local std::vector<std::string> vector;
  return vector;
}

}  // namespace

std::vector<std::string> take(std::size_t parts) {
  std::vector<std::string> out;
  if (spare().capacity() >= parts)
    out.swap(spare());
  else
    out.reserve(parts);
  return out;
}

void give(std::vector<std::string>& parts) noexcept {
  parts.clear();
  if (parts.capacity() == 0 || parts.capacity() > keep_max)
    return release_memory(parts);
  spare().swap(parts);
  release_memory(parts);  // the spare it replaced, if there was one
}

}  // namespace fastactor::spare_parts
