#include "actors/blocking_pool.hpp"

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
  if (queue_.size() > idle_ + starting_ && live_ + starting_ < max_threads_)
    return live_ + starting_ == 0 ? start_first_thread(guard) : start_another_thread(guard);
  // Under the lock: once it is released, post() touches nothing of the pool, which stop()
  // may then let die.
  cv_.notify_one();
  return true;
}

// With no thread alive or starting, a start that failed outside the lock would leave the queue
// to nobody (other posters, counting on the thread being started, would not start one):
// started under the lock, so that a failure takes back the task before anybody counts on it.
// The queue then holds only this task: nobody else posted while no thread was alive.
bool blocking_pool::start_first_thread(std::unique_lock<std::mutex>& guard) {
  try {
    start_([this] { run(); });
    ++starting_;  // it runs once we let go of the lock
    return true;
  } catch (...) {  // std::system_error from std::thread; bad_alloc; whatever a starter throws
    auto refused = std::move(queue_.back());
    queue_.pop_back();
    guard.unlock();
    return false;  // `refused` dies here, outside the lock, as a task that ran would
  }
}

// A thread is alive, or started under the lock and about to be (start_first_thread), and none
// ends while a task is queued: if this start fails, that one runs the task. The poster counts
// itself in starters_ until it is done with the pool, so that stop() cannot return (and the
// pool die) while it is still in here.
bool blocking_pool::start_another_thread(std::unique_lock<std::mutex>& guard) {
  ++starting_;
  ++starters_;
  guard.unlock();
  bool started = true;
  try {
    start_([this] { run(); });
  } catch (...) {  // as in start_first_thread
    started = false;
  }
  guard.lock();
  --starters_;
  if (!started) {
    --starting_;
    cv_.notify_one();  // an idle thread that counted on the new one to take this task
  }
  if (none_left())
    all_ended_.notify_all();
  return true;
}

void blocking_pool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::unique_lock<std::mutex> guard{mtx_};
    stopping_ = true;
    dropped.swap(queue_);
    cv_.notify_all();
    all_ended_.wait(guard, [this] { return none_left(); });
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
  if (idle_timeout_.count() <= 0)
    cv_.wait(guard, ready);
  else
    // The last live thread stays, so that the next task does not wait for a thread to start.
    // (Decided in the same hold of the lock as the count goes down, in run(): two idle threads
    // cannot both see the other and leave none.)
    while (!cv_.wait_for(guard, idle_timeout_, ready) && live_ == 1) {
    }
  --idle_;
  if (queue_.empty())
    return false;  // stopping, or idle for idle_timeout_ with another thread alive
  task = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void blocking_pool::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  --starting_;
  ++live_;
  for (std::function<void()> task; next_task(guard, task);) {
    guard.unlock();
    task();
    task = nullptr;  // its captures die outside the lock, as the task ran
    guard.lock();
  }
  // Still under the lock, so stop() cannot return (and the pool die) before this thread is
  // done with it; after the unlock it touches nothing of the pool.
  --live_;
  if (none_left())
    all_ended_.notify_all();
}

}  // namespace fastactor
