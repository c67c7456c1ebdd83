#include "actors/blocking_pool.hpp"

#include <system_error>
#include <thread>

namespace fastactor {

blocking_pool::blocking_pool(std::size_t max_threads, std::chrono::milliseconds idle_timeout)
  : max_threads_(max_threads), idle_timeout_(idle_timeout) {}

blocking_pool::~blocking_pool() {
  stop();
}

bool blocking_pool::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return false;
    queue_.push_back(std::move(task));
    // More tasks waiting than threads waiting for them: this one would queue.
    if (queue_.size() > idle_ && threads_ < max_threads_) {
      try {
        // Detached: a thread that retires cannot join itself. stop() waits for the count.
        std::thread{[this] { run(); }}.detach();
        ++threads_;
      } catch (const std::system_error&) {
        // No thread to be had (a pid or memory limit): with none at all, nobody would ever
        // run the task. Otherwise the running ones will.
        if (threads_ == 0) {
          queue_.pop_back();
          return false;
        }
      }
    }
  }
  cv_.notify_one();
  return true;
}

void blocking_pool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::unique_lock<std::mutex> guard{mtx_};
    stopping_ = true;
    dropped.swap(queue_);
    cv_.notify_all();
    all_ended_.wait(guard, [this] { return threads_ == 0; });
  }
  // `dropped` dies here, outside the lock: a task's captures may do real work when destroyed.
}

std::size_t blocking_pool::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return threads_;
}

bool blocking_pool::next_task(std::unique_lock<std::mutex>& guard, std::function<void()>& task) {
  auto ready = [this] { return stopping_ || !queue_.empty(); };
  ++idle_;
  if (idle_timeout_.count() > 0)
    cv_.wait_for(guard, idle_timeout_, ready);
  else
    cv_.wait(guard, ready);
  --idle_;
  if (queue_.empty())
    return false;  // stopping, or idle for idle_timeout_
  task = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void blocking_pool::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  for (std::function<void()> task; next_task(guard, task);) {
    guard.unlock();
    task();
    task = nullptr;  // its captures die outside the lock, as the task ran
    guard.lock();
  }
  // Still under the lock, so stop() cannot return (and the pool die) before this thread
  // is done with it; after the unlock it touches nothing of the pool.
  if (--threads_ == 0)
    all_ended_.notify_all();
}

}  // namespace fastactor
