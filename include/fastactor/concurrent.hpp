#pragma once
// FastGo's three operations (ConcurrentWrite, WithConcurrentResponse and
// ParallelExecute), the actor way: no mutex guards the response; every write is a message to
// the request's writer actor, whose mailbox serializes them.
//
//   Go (FastGo)                        fastactor
//   c.ConcurrentWrite(b)               concurrent_write(out, bytes)
//   c.WithConcurrentResponse(fn)       with_concurrent_response(ctx, [](concurrent_response& cr)
//   {...}) c.ParallelExecute(handlers...)     parallel_execute(ctx, {task, task, ...})

#include <fastactor/context.hpp>
#include <fastactor/response_handle.hpp>

#include <caf/meta/type_name.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fastactor {

// -- ConcurrentWrite --------------------------------------------------------------------------

/// Sends one chunk to the response, from any thread. Never blocks, takes no lock.
inline void concurrent_write(const response_handle& out, std::string bytes) {
  out.write(std::move(bytes));
}

/// The same from inside an actor: the chunk is ordered before anything the actor sends later
/// (its exit included, so a worker's last chunk always arrives before it counts as done).
template <class Self>
void concurrent_write(Self* self, const response_handle& out, std::string bytes) {
  out.write(self, std::move(bytes));
}

// -- WithConcurrentResponse -------------------------------------------------------------------

/// The scope `with_concurrent_response` hands its body: workers and tasks started through it
/// write and fail through it, and the response completes when the body has returned and all
/// of them are done.
///
/// Unlike the writer that Go code guards with a mutex, it is safe from any thread for as long
/// as anything started through it runs. Inside the body, write and fail go straight into the
/// response (in order with ctx.write); from a task, a worker or after the body returned, they
/// are messages to the writer (never blocking, no flow control: for that, use the task's own
/// task_context::write_acked). Tasks and workers started through it keep it alive, so
/// `cr.go([&cr](task_context&) { cr.write(...); })`, the shape the Go analogy invites, is
/// safe. spawn, go and ctx belong to the body: called elsewhere they throw std::logic_error.
class concurrent_response : public std::enable_shared_from_this<concurrent_response> {
public:
  /// Made by with_concurrent_response, which hands it out by reference.
  explicit concurrent_response(context& ctx);

  concurrent_response(const concurrent_response&) = delete;
  concurrent_response& operator=(const concurrent_response&) = delete;

  /// Appends bytes to the response, from any thread (a message to the writer outside the
  /// body; never blocks).
  void write(std::string bytes);
  /// Records an error of the response, from any thread; the response goes on.
  void fail(std::string message, status code = status::internal_server_error);

  /// A worker actor of this scope (see context::spawn).
  template <class F, class... Ts>
  caf::actor spawn(F fun, Ts... xs) {
    auto worker = body_context("spawn").spawn(std::move(fun), std::move(xs)...);
    keep_alive_while(worker);
    return worker;
  }
  /// A blocking task of this scope, run in the blocking pool (see context::go).
  void go(std::function<void(task_context&)> task);
  /// The request's response handle, for workers started elsewhere.
  response_handle output() const { return out_; }
  /// The handler's context (in the body only).
  context& ctx() { return body_context("ctx"); }

private:
  template <class F>
  friend void with_concurrent_response(context& ctx, F&& body);

  /// True on the handler's thread while the body runs: the context may be used directly.
  bool in_body() const;
  context& body_context(const char* what);
  void keep_alive_while(const caf::actor& worker);
  void close_body() { body_open_ = false; }

  context* ctx_;
  response_handle out_;
  std::thread::id owner_;  ///< the handler's thread; others never read body_open_
  bool body_open_ = true;
};

/// Runs `body(cr)` now, inside the handler. An exception it throws becomes an error entry
/// (FastGo's panic recovery); errors of its workers and tasks are collected the same way.
template <class F>
void with_concurrent_response(context& ctx, F&& body) {
  auto cr = std::make_shared<concurrent_response>(ctx);
  try {
    std::forward<F>(body)(*cr);
  } catch (...) {
    cr->fail("threw: " + detail::what(std::current_exception()));
  }
  cr->close_body();
}

// -- ParallelExecute --------------------------------------------------------------------------

/// What a parallel task returns: its output, or an error (FastGo's `([]byte, error)`).
class task_result {
public:
  /// An empty output.
  task_result() = default;
  /// Output `value` (implicit, so that a task can `return "done\n";`).
  task_result(std::string value) : value_(std::move(value)) {}
  /// Output `value`.
  task_result(const char* value) : value_(value) {}

  /// An error with `message` and `code` (FastGo's non-nil `error`).
  // `fastactor::status`: inside the class, `status` names the accessor below.
  static task_result failure(std::string message,
                             fastactor::status code = fastactor::status::internal_server_error) {
    task_result r;
    r.failed_ = true;
    r.value_ = std::move(message);
    r.status_ = code;
    return r;
  }

  /// False for a failure().
  bool ok() const { return !failed_; }
  /// The output if ok(), else the error message.
  const std::string& value() const { return value_; }
  /// The output if ok(), else the error message (to move it out).
  std::string& value() { return value_; }
  /// The status of a failure().
  fastactor::status status() const { return status_; }

  /// Lets CAF serialize a result (it travels from the pool to the writer as a message).
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, task_result& x) {
    return f(caf::meta::type_name("fastactor::task_result"), x.value_, x.failed_, x.status_);
  }

private:
  std::string value_;
  bool failed_ = false;
  fastactor::status status_ = fastactor::status::internal_server_error;
};

/// A blocking function run in the blocking pool. A thrown exception is an error too.
using task = std::function<task_result()>;

/// In which order parallel_execute writes its tasks' results.
enum class result_order {
  completion,  ///< write each result as soon as its task finishes (FastGo's behaviour)
  task,  ///< write results in the order the tasks were given
};

/// How parallel_execute runs.
struct parallel_options {
  result_order order = result_order::completion;  ///< see result_order
};

/// Runs `tasks` concurrently in the blocking pool (never on the actor scheduler), writes
/// their results to the response and records every error ("task N"). In completion order
/// each task writes its own result; in task order a coordinator actor holds results back
/// until the earlier ones went out. The response completes
/// when all tasks are done. For "all results or one error report", call
/// `ctx.buffer_response()` first.
void parallel_execute(context& ctx, std::vector<task> tasks, parallel_options opts = {});

}  // namespace fastactor
