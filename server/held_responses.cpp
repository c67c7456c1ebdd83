#include "server/held_responses.hpp"

#include "protocol/release_memory.hpp"
#include "protocol/spare_parts.hpp"

namespace fastactor {

template <class Part>
void held_responses::add(Part&& part) {
  if (parts_.capacity() == 0)
    parts_ = spare_parts::take(4);
  if (!batch_used_ && part.size() <= batch_part_max) {
    parts_.emplace_back().reserve(batch_reserve);
    batch_used_ = batch_open_ = true;
  }
  // (A large first part opens no batch buffer: then there is no back() to look at.)
  if (batch_open_ && part.size() <= batch_part_max
      && parts_.back().size() + part.size() <= parts_.back().capacity()) {
    parts_.back() += part;
    return;
  }
  batch_open_ = false;
  parts_.emplace_back(std::forward<Part>(part));
}

void held_responses::hold(std::vector<std::string>& parts, std::size_t bytes) {
  for (auto& part : parts)
    add(std::move(part));
  parts.clear();
  count(bytes);
}

void held_responses::hold(std::string_view head, std::vector<std::string>& body,
                          std::size_t bytes) {
  add(head);
  for (auto& part : body)
    add(std::move(part));
  body.clear();
  count(bytes);
}

void held_responses::count(std::size_t bytes) {
  bytes_ += bytes;
  ++responses_;
}

void held_responses::queue_behind(std::vector<std::string> parts) {
  take_into(parts);
  parts_ = std::move(parts);
  clear_counts();
}

void held_responses::take_into(std::vector<std::string>& after) {
  if (parts_.empty())
    return;
  auto parts = take_all();
  parts.reserve(parts.size() + after.size());
  for (auto& part : after)
    parts.push_back(std::move(part));
  after = std::move(parts);
}

std::vector<std::string> held_responses::take_all() {
  auto parts = std::move(parts_);
  parts_.clear();
  clear_counts();
  return parts;
}

void held_responses::drop() {
  release_memory(parts_);
  clear_counts();
}

std::size_t held_responses::memory() const {
  auto total = parts_.capacity() * sizeof(std::string);
  for (const auto& part : parts_)
    total += part.capacity();
  return total;
}

void held_responses::clear_counts() {
  bytes_ = responses_ = 0;
  batch_open_ = batch_used_ = false;
}

}  // namespace fastactor
