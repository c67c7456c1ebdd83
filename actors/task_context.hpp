#pragma once
// task_context: what a blocking task (run in the blocking pool) gets to write with.

#include "actors/request_scope.hpp"
#include "actors/response_handle.hpp"

#include <string>

namespace fastactor {

class task_context {
public:
  task_context(response_handle out, cancel_flag cancelled, std::string source = "task")
    : out_(std::move(out)), cancelled_(std::move(cancelled)), source_(std::move(source)) {}

  /// Appends `bytes` to the response (a message to the writer; never blocks).
  void write(std::string bytes) const { out_.write(std::move(bytes)); }
  /// Records an error; the response goes on.
  void fail(std::string message, std::uint16_t status = 500) const {
    out_.fail(std::move(message), status, source_);
  }
  /// True once the request has ended (client gone, deadline, response done): stop early,
  /// nothing written from now on reaches the client.
  bool cancelled() const { return cancelled_->load(std::memory_order_relaxed); }

  const response_handle& output() const { return out_; }

private:
  response_handle out_;
  cancel_flag cancelled_;
  std::string source_;
};

} // namespace fastactor
