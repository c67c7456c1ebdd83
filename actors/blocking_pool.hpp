#pragma once
// A bounded pool of threads for blocking work (sleeps, file I/O, calls into blocking
// libraries). Blocking a CAF scheduler thread stalls every actor scheduled on it, so
// blocking tasks run here and report back to actors by message.
//
// Threads start as tasks need them — when a task arrives and no thread is idle — up to the
// bound, and then stay. So the bound can be generous (a burst of slow calls runs at once
// instead of queueing) without costing threads a server never needed.

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
  explicit blocking_pool(std::size_t max_threads);
  ~blocking_pool();

  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  /// Queues `task`, starting a thread for it if none is idle and the bound allows; returns
  /// false (and drops the task) once the pool is stopping, or if it has no thread and
  /// cannot start one.
  bool post(std::function<void()> task);

  /// Drops queued tasks, waits for running ones, joins the threads. Idempotent.
  void stop();

  /// Threads started so far (at most max_threads()).
  std::size_t size() const;
  std::size_t max_threads() const { return max_threads_; }

private:
  void run();

  const std::size_t max_threads_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::size_t idle_ = 0;  ///< threads waiting for a task
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace fastactor
