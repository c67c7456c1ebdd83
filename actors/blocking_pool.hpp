#pragma once
// A bounded pool of threads for blocking work (sleeps, file I/O, calls into blocking
// libraries). Blocking a CAF scheduler thread stalls every actor scheduled on it, so
// blocking tasks run here and report back to actors by message.
//
// Threads start as tasks need them — when a task arrives and no thread is idle — up to the
// bound, and a thread idle for `idle_timeout` ends, except the last one (so that the next task
// does not wait for a thread to start). So the bound can be generous (a burst of slow calls
// runs at once instead of queueing) without the server keeping the burst's threads for ever.
//
// Starting a thread takes 50–200 µs on a VM (the stack's mapping, clone): a burst of 100
// tasks pays it 100 times. So a thread is started outside the pool's lock: meanwhile the
// running threads take their next tasks and other posters queue theirs. That is safe because
// no thread ends while a task is queued: a task queued for a thread whose start then fails is
// run by one that is alive. Only the first thread, with none alive or starting, is started
// under the lock, so that its failure refuses the task.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace fastactor {

class blocking_pool {
public:
  /// Starts a thread that runs `body` (detached: each thread ends by itself), or throws
  /// (std::system_error if none can be had) and runs nothing; it must not throw once the
  /// thread runs, nor wait for `body` to begin (the first start holds the pool's lock). Tests
  /// pass one that fails on purpose.
  using thread_starter = std::function<void(std::function<void()> body)>;

  /// `idle_timeout` 0 (or less): threads never end before stop().
  explicit blocking_pool(std::size_t max_threads,
                         std::chrono::milliseconds idle_timeout = std::chrono::seconds(10),
                         thread_starter start = detached_thread);
  ~blocking_pool();

  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  /// Queues `task`, starting a thread for it if none is idle and the bound allows; returns
  /// false (and drops the task) once the pool is stopping, or if it has no thread and
  /// cannot start one.
  bool post(std::function<void()> task);

  /// Drops queued tasks, waits for running ones and for every thread to end. Idempotent.
  void stop();

  /// Threads alive or starting now (at most max_threads()).
  std::size_t size() const;
  std::size_t max_threads() const { return max_threads_; }

  /// The default thread_starter: a std::thread, detached.
  static void detached_thread(std::function<void()> body);

private:
  void run();
  /// Waits for a task; false once the thread should end (stopping, or idle too long and not
  /// the last live thread).
  bool next_task(std::unique_lock<std::mutex>& guard, std::function<void()>& task);
  bool start_first_thread(std::unique_lock<std::mutex>& guard);
  bool start_another_thread(std::unique_lock<std::mutex>& guard);
  /// No thread alive or starting, and no poster still in start_another_thread.
  bool none_left() const { return live_ + starting_ + starters_ == 0; }

  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  const thread_starter start_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;  ///< a task or stop, for idle threads
  std::condition_variable all_ended_;  ///< the last thread ended, for stop()
  std::deque<std::function<void()>> queue_;
  std::size_t idle_ = 0;  ///< threads waiting for a task
  std::size_t live_ = 0;  ///< threads that run (or are about to run) the task loop
  std::size_t starting_ = 0;  ///< threads started or being started, not yet live
  std::size_t starters_ = 0;  ///< posters starting one of them (see start_another_thread)
  bool stopping_ = false;
};

}  // namespace fastactor
