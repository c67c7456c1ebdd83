#pragma once
// A bounded pool of threads for blocking work (sleeps, file I/O, calls into blocking
// libraries). Blocking a CAF scheduler thread stalls every actor scheduled on it, so
// blocking tasks run here and report back to actors by message.
//
// Threads start as tasks need them — when a task arrives and no thread is idle — up to the
// bound, and a thread idle for `idle_timeout` ends. So the bound can be generous (a burst of
// slow calls runs at once instead of queueing) without the server keeping the burst's
// threads for ever.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace fastactor {

class blocking_pool {
public:
  /// `idle_timeout` 0: threads never end before stop().
  explicit blocking_pool(std::size_t max_threads,
                         std::chrono::milliseconds idle_timeout = std::chrono::seconds(10));
  ~blocking_pool();

  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  /// Queues `task`, starting a thread for it if none is idle and the bound allows; returns
  /// false (and drops the task) once the pool is stopping, or if it has no thread and
  /// cannot start one.
  bool post(std::function<void()> task);

  /// Drops queued tasks, waits for running ones and for every thread to end. Idempotent.
  void stop();

  /// Threads alive now (at most max_threads()).
  std::size_t size() const;
  std::size_t max_threads() const { return max_threads_; }

private:
  void run();
  /// Waits for a task; false once the thread should end (stopping, or idle too long).
  bool next_task(std::unique_lock<std::mutex>& guard, std::function<void()>& task);

  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;  ///< a task or stop, for idle threads
  std::condition_variable all_ended_;  ///< the last thread ended, for stop()
  std::deque<std::function<void()>> queue_;
  std::size_t idle_ = 0;  ///< threads waiting for a task
  std::size_t threads_ = 0;  ///< threads alive (detached: each ends by itself)
  bool stopping_ = false;
};

}  // namespace fastactor
