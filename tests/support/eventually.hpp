#pragma once
// eventually(pred): polls `pred` until it holds or `timeout` passes; returns the last result.
// For conditions another thread makes true; generous timeouts, not timing assertions.

#include <fastactor/detail/poll.hpp>

#include <chrono>

namespace testing {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return fastactor::detail::poll_until(std::move(pred), timeout);
}

}  // namespace testing
