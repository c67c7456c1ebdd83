#pragma once
// token_bucket: an allowance that a burst may spend at once and time gives back at a steady
// rate, as nghttp2 limits a client's resets. The HTTP/2 codec keeps two of its own (empty DATA
// frames, requests nghttp2 resets for the client's errors).
#include <algorithm>
#include <chrono>

namespace fastactor {

class token_bucket {
public:
  token_bucket(double burst, double per_second) : burst_(burst), per_second_(per_second) {}

  /// Spends one token; false if none is left (then nothing is spent).
  bool take() {
    auto now = std::chrono::steady_clock::now();
    std::chrono::duration<double> since = now - at_;
    at_ = now;
    left_ = std::min(burst_, left_ + since.count() * per_second_);
    if (left_ < 1)
      return false;
    left_ -= 1;
    return true;
  }

  /// Gives back the whole burst.
  void refill() { left_ = burst_; }

private:
  double burst_;
  double per_second_;
  double left_ = burst_;
  std::chrono::steady_clock::time_point at_ = std::chrono::steady_clock::now();
};

}  // namespace fastactor
