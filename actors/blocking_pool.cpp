#include "actors/blocking_pool.hpp"

#include <system_error>
#include <thread>

namespace fastactor {

blocking_pool::blocking_pool(std::size_t max_threads, std::chrono::milliseconds idle_timeout,
                             thread_starter start)
  : max_threads_(max_threads), idle_timeout_(idle_timeout), start_(std::move(start)) {}

blocking_pool::~blocking_pool() {
  stop();
}

void blocking_pool::detached_thread(std::function<void()> body) {
  // Detached: a thread that retires cannot join itself. stop() waits for the count.
  std::thread{std::move(body)}.detach();
}

bool blocking_pool::post(std::function<void()> task) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (stopping_)
    return false;
  queue_.push_back(std::move(task));
  // More tasks waiting than threads waiting for them (or about to): this one would queue.
  if (queue_.size() > idle_ + starting_ && live_ + starting_ < max_threads_) {
    if (live_ == 0)
      return start_first_thread(guard);
    start_another_thread(guard);
  }
  guard.unlock();
  cv_.notify_one();
  return true;
}

// With no thread alive, nobody else would run the queue if the start failed: started under the
// lock, so that a failure can take back the task before anybody counts on it. (The queue holds
// only this task then: others queue only while a thread is alive, and the last one stays.)
bool blocking_pool::start_first_thread(std::unique_lock<std::mutex>& guard) {
  try {
    start_([this] { run(counted::live); });
    ++live_;
    return true;
  } catch (const std::system_error&) {
    queue_.pop_back();
    return false;
  }
}

// A live thread exists and stays while tasks are queued: if this start fails, it runs them.
void blocking_pool::start_another_thread(std::unique_lock<std::mutex>& guard) {
  ++starting_;
  guard.unlock();
  bool started = true;
  try {
    start_([this] { run(counted::starting); });
  } catch (const std::system_error&) {
    started = false;
  }
  guard.lock();
  if (!started) {
    --starting_;
    if (live_ + starting_ == 0)  // stop() took the last live thread meanwhile
      all_ended_.notify_all();
  }
}

void blocking_pool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::unique_lock<std::mutex> guard{mtx_};
    stopping_ = true;
    dropped.swap(queue_);
    cv_.notify_all();
    all_ended_.wait(guard, [this] { return live_ + starting_ == 0; });
  }
  // `dropped` dies here, outside the lock: a task's captures may do real work when destroyed.
}

std::size_t blocking_pool::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return live_ + starting_;
}

bool blocking_pool::next_task(std::unique_lock<std::mutex>& guard, std::function<void()>& task) {
  auto ready = [this] { return stopping_ || !queue_.empty(); };
  ++idle_;
  if (idle_timeout_.count() == 0)
    cv_.wait(guard, ready);
  else
    // The last live thread stays: a task then never waits for a thread to start, and a
    // thread start that fails outside the lock leaves its task to this one.
    while (!cv_.wait_for(guard, idle_timeout_, ready) && live_ == 1) {
    }
  --idle_;
  if (queue_.empty())
    return false;  // stopping, or idle for idle_timeout_ with another thread alive
  task = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void blocking_pool::run(counted as) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (as == counted::starting) {
    --starting_;
    ++live_;
  }
  for (std::function<void()> task; next_task(guard, task);) {
    guard.unlock();
    task();
    task = nullptr;  // its captures die outside the lock, as the task ran
    guard.lock();
  }
  thread_gone(guard);
}

// Still under the lock (taken in the same hold as next_task's decision to end, so two idle
// threads cannot both see the other and leave none), and so stop() cannot return (and the
// pool die) before this thread is done with it; after the unlock it touches nothing of the
// pool.
void blocking_pool::thread_gone(std::unique_lock<std::mutex>&) {
  if (--live_ + starting_ == 0)
    all_ended_.notify_all();
}

}  // namespace fastactor
