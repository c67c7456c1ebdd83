#include <fastactor/concurrent.hpp>

#include "actors/internal_messages.hpp"
#include "actors/runtime.hpp"

#include <caf/all.hpp>

#include <memory>
#include <optional>
#include <stdexcept>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<std::vector<fastactor::task>>)

namespace fastactor {

namespace {

// The coordinator of one parallel_execute call: a worker actor of the request that starts
// the tasks in the pool, receives their results as messages and writes them in the order
// asked for. Killed with the request; its tasks then see the cancel flag.
struct coordinator_state {
  std::vector<std::optional<task_result>> results;  ///< held back for result_order::task
  std::size_t next_to_write = 0;
  std::size_t remaining = 0;
  static inline const char* name = "fastactor.parallel_execute";
};

using coordinator = caf::stateful_actor<coordinator_state>;

void emit(coordinator* self, const response_handle& out, std::size_t index, task_result& r) {
  if (r.ok())
    out.write(self, std::move(r.value()));
  else
    out.fail(self, std::move(r.value()), r.status(), "task " + std::to_string(index + 1));
}

void start_tasks(coordinator* self, std::shared_ptr<std::vector<task>> tasks, runtime* rt,
                 cancel_flag cancelled) {
  auto me = caf::actor_cast<caf::actor>(self);
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    auto run = [me, tasks, i, cancelled, token = rt->running_task_token()] {
      if (cancelled->load())
        return;
      task_result r;
      try {
        r = (*tasks)[i]();
      } catch (...) {
        r = task_result::failure("threw: " + detail::what(std::current_exception()));
      }
      detail::handoff_release(me);
      caf::anon_send(me, task_done_atom::value, static_cast<std::uint64_t>(i), std::move(r));
    };
    if (!rt->pool.post(std::move(run)))
      caf::anon_send(me, task_done_atom::value, static_cast<std::uint64_t>(i),
                     task_result::failure("not started: the server is shutting down",
                                          status::service_unavailable));
  }
}

caf::behavior parallel_coordinator(coordinator* self, response_handle out,
                                   std::shared_ptr<std::vector<task>> tasks, parallel_options opts,
                                   runtime* rt, cancel_flag cancelled) {
  self->state.results.resize(tasks->size());
  self->state.remaining = tasks->size();
  if (tasks->empty()) {
    self->quit();
    return {};
  }
  start_tasks(self, tasks, rt, std::move(cancelled));
  return {
    [self, out, opts](task_done_atom, std::uint64_t index, task_result& r) {
      detail::handoff_acquire(self);
      auto& st = self->state;
      if (opts.order == result_order::completion) {
        emit(self, out, index, r);
      } else {
        st.results[index] = std::move(r);
        while (st.next_to_write < st.results.size() && st.results[st.next_to_write]) {
          emit(self, out, st.next_to_write, *st.results[st.next_to_write]);
          ++st.next_to_write;
        }
      }
      if (--st.remaining == 0)
        self->quit();
    },
  };
}

/// In completion order no result waits for another, so each task writes its own result:
/// a blocking producer of the request (ctx.go), without a coordinator between it and the
/// writer. That saves an actor per request and three thread wake-ups per result set.
void execute_in_completion_order(context& ctx, std::vector<task>& tasks) {
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    auto source = "task " + std::to_string(i + 1);
    ctx.go(
      [fn = std::move(tasks[i]), source](task_context& t) {
        auto r = fn();  // a throw is reported by ctx.go as "threw: ..." from `source`
        if (r.ok())
          t.output().write(std::move(r.value()));
        else
          t.output().fail(std::move(r.value()), r.status(), source);
      },
      source);
  }
}

}  // namespace

concurrent_response::concurrent_response(context& ctx)
  : ctx_(&ctx), out_(ctx.output()), owner_(std::this_thread::get_id()) {}

bool concurrent_response::in_body() const {
  return std::this_thread::get_id() == owner_ && body_open_;
}

context& concurrent_response::body_context(const char* what) {
  if (!in_body())
    throw std::logic_error(std::string{"concurrent_response::"} + what
                           + " belongs to the with_concurrent_response body");
  return *ctx_;
}

void concurrent_response::write(std::string bytes) {
  if (in_body())
    ctx_->write(std::move(bytes));
  else
    out_.write(std::move(bytes));
}

void concurrent_response::fail(std::string message, status code) {
  if (in_body())
    ctx_->fail(worker_error{"with_concurrent_response", std::move(message), code});
  else
    out_.fail(std::move(message), code, "with_concurrent_response");
}

void concurrent_response::go(std::function<void(task_context&)> task) {
  body_context("go").go(
    [task = std::move(task), keep = shared_from_this()](task_context& t) { task(t); });
}

void concurrent_response::keep_alive_while(const caf::actor& worker) {
  caf::actor_cast<caf::abstract_actor*>(worker)->attach_functor([keep = shared_from_this()] {});
}

void parallel_execute(context& ctx, std::vector<task> tasks, parallel_options opts) {
  if (opts.order == result_order::completion)
    return execute_in_completion_order(ctx, tasks);
  auto shared_tasks = std::make_shared<std::vector<task>>(std::move(tasks));
  auto worker = ctx.self()->spawn(parallel_coordinator, ctx.output(), std::move(shared_tasks), opts,
                                  &ctx.server_runtime(), ctx.cancelled());
  ctx.adopt(worker);
}

}  // namespace fastactor
