#pragma once
// task_context: what a blocking task (run in the blocking pool) gets to write with.

#include <fastactor/response_handle.hpp>

#include <caf/scoped_actor.hpp>

#include <atomic>
#include <memory>
#include <string>

namespace fastactor {

/// Set once the request has ended. Blocking tasks check it; their late results are dropped.
using cancel_flag = std::shared_ptr<std::atomic<bool>>;

/// What a blocking task (context::go, parallel_execute) writes with, from its pool thread.
class task_context {
public:
  /// Made by the library for each task; `source` names it in error reports.
  task_context(response_handle out, cancel_flag cancelled, std::string source = "task")
    : out_(std::move(out)), cancelled_(std::move(cancelled)), source_(std::move(source)) {}

  /// Appends `bytes` to the response (a message to the writer; never blocks). No flow
  /// control: a task that writes much to a slow client should use write_acked.
  void write(std::string bytes) const { out_.write(std::move(bytes)); }
  /// Appends `bytes` with flow control: blocks this task until the writer's queue is below
  /// its high-water mark, so a slow client slows the task down instead of filling the
  /// server's memory. Returns false once the request has ended: stop then.
  bool write_acked(std::string bytes);
  /// Records an error; the response goes on.
  void fail(std::string message, status code = status::internal_server_error) const {
    out_.fail(std::move(message), code, source_);
  }
  /// True once the request has ended (client gone, deadline, response done): stop early,
  /// nothing written from now on reaches the client.
  bool cancelled() const { return cancelled_->load(std::memory_order_relaxed); }

  /// The request's response handle (to hand to an actor).
  const response_handle& output() const { return out_; }

private:
  response_handle out_;
  cancel_flag cancelled_;
  std::string source_;
  std::unique_ptr<caf::scoped_actor> self_;  ///< made by the first write_acked
};

}  // namespace fastactor
