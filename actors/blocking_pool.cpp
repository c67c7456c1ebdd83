#include "actors/blocking_pool.hpp"

namespace fastactor {

blocking_pool::blocking_pool(std::size_t threads) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

blocking_pool::~blocking_pool() {
  stop();
}

bool blocking_pool::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void blocking_pool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  // `dropped` dies here, outside the lock: a task's captures may do real work when destroyed.
}

void blocking_pool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

} // namespace fastactor
