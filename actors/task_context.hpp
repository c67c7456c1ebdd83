#pragma once
// task_context: what a blocking task (run in the blocking pool) gets to write with.

#include "actors/request_scope.hpp"
#include "actors/response_handle.hpp"

#include <string>

namespace fastactor {

class task_context {
public:
  task_context(response_handle out, cancel_flag cancelled)
    : out_(std::move(out)), cancelled_(std::move(cancelled)) {}

  /// Appends `bytes` to the response (a message to the writer; never blocks).
  void write(std::string bytes) const { out_.write(std::move(bytes)); }
  /// Records an error; the response goes on.
  void fail(std::string message, std::uint16_t status = 500) const {
    out_.fail(std::move(message), status, "task");
  }
  /// True once the request has ended (client gone, deadline, response done): stop early,
  /// nothing written from now on reaches the client.
  bool cancelled() const { return cancelled_->load(std::memory_order_relaxed); }

  const response_handle& output() const { return out_; }

private:
  response_handle out_;
  cancel_flag cancelled_;
};

} // namespace fastactor
