#pragma once
// poll_until: the one polling wait, for conditions another thread makes true (server::wait_for,
// the tests' `eventually`). Not for hot paths: it sleeps 2 ms between looks.

#include <chrono>
#include <thread>

namespace fastactor::detail {

/// Calls `pred()` until it returns true or `timeout` passes; returns its last result.
template <class Pred>
bool poll_until(Pred pred, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace fastactor::detail
