#pragma once
// eventually(pred): polls `pred` until it holds or `timeout` passes; returns the last result.
// For conditions another thread makes true; generous timeouts, not timing assertions.

#include <chrono>
#include <thread>

namespace testing {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

} // namespace testing
