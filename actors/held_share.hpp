#pragma once
// held_share: one writer's part of the server's count of the response bytes it holds
// (server_stats::queued_response_bytes, which --response-memory-max bounds).

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace fastactor {

/// The writer's request scopes add and take their bytes here with plain arithmetic, and the
/// writer publishes the difference to the server's total once per message it handles. A
/// response that is queued and written within one message (a /hello's, each of a pipelined
/// batch's) then never touches the shared total: its two locked updates (~20 cycles each)
/// cancelled out. So the total is exact between a writer's messages; within one, only the
/// writer itself sees its own difference (server_bytes()).
///
/// Used on the writer's thread only (the total is the one shared part).
class held_share {
public:
  held_share() = default;
  explicit held_share(std::atomic<std::int64_t>& total) : total_(&total) {}
  held_share(const held_share&) = delete;
  held_share& operator=(const held_share&) = delete;
  ~held_share() { publish(); }

  /// The server's total that publish() adds to (set once, before any scope uses this).
  void bind(std::atomic<std::int64_t>& total) { total_ = &total; }

  void add(std::size_t bytes) { pending_ += static_cast<std::int64_t>(bytes); }
  void take(std::size_t bytes) { pending_ -= static_cast<std::int64_t>(bytes); }

  /// Adds what changed since the last publish to the server's total.
  void publish() {
    if (pending_ != 0 && total_) {
      total_->fetch_add(pending_, std::memory_order_relaxed);
      pending_ = 0;
    }
  }

  /// The server's total as this writer knows it: with its own unpublished difference.
  std::int64_t server_bytes() const {
    return (total_ ? total_->load(std::memory_order_relaxed) : 0) + pending_;
  }

private:
  std::atomic<std::int64_t>* total_ = nullptr;
  std::int64_t pending_ = 0;
};

}  // namespace fastactor
