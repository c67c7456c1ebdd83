#include "actors/blocking_pool.hpp"

#include <system_error>

namespace fastactor {

blocking_pool::blocking_pool(std::size_t max_threads) : max_threads_(max_threads) {}

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
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
      try {
        threads_.emplace_back([this] { run(); });
      } catch (const std::system_error&) {
        // No thread to be had (a pid or memory limit): with none at all, nobody would ever
        // run the task. Otherwise the running ones will.
        if (threads_.empty()) {
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
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
    dropped.swap(queue_);
    threads.swap(threads_);  // no thread starts any more: post() refuses
  }
  cv_.notify_all();
  for (auto& t : threads)
    t.join();
  // `dropped` dies here, outside the lock: a task's captures may do real work when destroyed.
}

std::size_t blocking_pool::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return threads_.size();
}

void blocking_pool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      ++idle_;
      cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty())
        return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace fastactor
