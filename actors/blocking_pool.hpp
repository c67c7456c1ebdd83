#pragma once
// A bounded pool of threads for blocking work (sleeps, file I/O, calls into blocking
// libraries). Blocking a CAF scheduler thread stalls every actor scheduled on it, so
// blocking tasks run here and report back to actors by message.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fastactor {

class blocking_pool {
public:
  explicit blocking_pool(std::size_t threads);
  ~blocking_pool();

  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  /// Queues `task`; returns false (and drops it) once the pool is stopping.
  bool post(std::function<void()> task);

  /// Drops queued tasks, waits for running ones, joins the threads. Idempotent.
  void stop();

  std::size_t size() const { return threads_.size(); }

private:
  void run();

  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace fastactor
