#include <fastactor/context.hpp>

#include "actors/request_scope.hpp"
#include "actors/runtime.hpp"
#include "protocol/response_fields.hpp"
#include <fastactor/status.hpp>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <charconv>

namespace fastactor {

namespace detail {

std::string what(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

void report_exceptions(caf::scheduled_actor* self, response_handle out) {
  self->set_exception_handler(
    [out](caf::scheduled_actor* worker, std::exception_ptr& ep) -> caf::error {
      out.fail("threw: " + what(ep), status::internal_server_error,
               "worker " + std::to_string(worker->id()));
      return make_error(errc::worker_failed);  // reported above: the down handler skips it
    });
}

}  // namespace detail

const request& context::req() const {
  return scope_.req();
}

void context::buffer_response() {
  scope_.mode = response_mode::buffer;
}

void context::set_compression(compression choice) {
  scope_.compress = choice;
}

void context::write(std::string bytes) {
  scope_.append(std::move(bytes));
}

void context::write_event(sse_event ev) {
  scope_.append_event(std::move(ev));
}

cancel_flag context::cancelled() const {
  return scope_.cancel_flag_for_tasks();
}

stream_id context::id() const {
  return scope_.id;
}

const server_stats& context::stats() const {
  scope_.publish_held();  // what this writer queued in this message counts too
  return rt_.published_stats();
}

std::optional<long long> context::int_param(std::string_view name, long long fallback,
                                            long long min, long long max) {
  auto text = req().query_param(name);
  if (!text)
    return fallback;
  long long value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value < min || value > max) {
    fail(worker_error{"request",
                      "query parameter '" + std::string{name} + "' must be an integer from "
                        + std::to_string(min) + " to " + std::to_string(max) + ", got '"
                        + std::string{*text} + "'",
                      status::bad_request});
    return std::nullopt;
  }
  return value;
}

void context::set_status(status code) {
  if (!is_final(code))
    return fail(worker_error{
      "handler", "status " + to_string(code) + " is not a final status a handler may set (200-599)",
      status::internal_server_error});
  scope_.status = code;
}

void context::set_header(std::string name, std::string value) {
  if (auto problem = response_field_problem(name, value))
    return fail(worker_error{"handler", "refused to set a header: " + *problem,
                             status::internal_server_error});
  for (auto& [key, val] : scope_.headers)
    if (iequals(key, name)) {
      val = std::move(value);
      return;
    }
  scope_.headers.emplace_back(std::move(name), std::move(value));
}

void context::begin_sse() {
  scope_.format = stream_format::sse;
  set_content_type("text/event-stream");
  set_header("Cache-Control", "no-cache");
  set_header("X-Accel-Buffering", "no");  // nginx and friends: do not hold events back
  scope_.last_event_id = last_event_id().value_or(0);
}

void context::begin_ndjson() {
  scope_.format = stream_format::ndjson;
  set_content_type("application/x-ndjson");
  set_header("X-Accel-Buffering", "no");
}

std::optional<std::uint64_t> context::last_event_id() const {
  auto header = req().header("Last-Event-ID");
  return header ? parse_event_id(*header) : std::nullopt;
}

void context::fail(worker_error e) {
  scope_.add_error(std::move(e));
}

void context::adopt(const caf::actor& worker) {
  if (!worker)  // e.g. actor_cast of the address of an actor that has ended
    return fail(worker_error{"handler", "adopt: no actor (an empty handle)"});
  if (worker.address() == self_->address())  // its end would kill the writer, and the connection
    return fail(worker_error{"handler", "adopt: the writer cannot be its own worker"});
  auto* stats = &rt_.stats;
  stats->live_workers.fetch_add(1, std::memory_order_relaxed);
  // A killed worker's cleanup runs on a scheduler thread, possibly after the server (and its
  // runtime) are gone: the count it lowers lives as long as the worker does.
  caf::actor_cast<caf::abstract_actor*>(worker)->attach_functor(
    [keep = rt_.weak_from_this().lock(), stats] {
      stats->live_workers.fetch_sub(1, std::memory_order_relaxed);
    });
  self_->monitor(worker);
  scope_.workers.push_back(worker);
}

response_handle context::subscribe(const caf::actor& producer) {
  if (scope_.finish_key == 0)
    scope_.finish_key = rt_.next_secret();
  if (producer && !scope_.holds_shared_producer(producer.address())) {
    rt_.watches->add(producer, self_->address());  // not a monitor: see producer_watches.hpp
    scope_.shared_producers.push_back(producer);
  }
  return response_handle{caf::actor_cast<caf::actor>(self_), id(), scope_.finish_key};
}

void context::go(std::function<void(task_context&)> task, std::string source) {
  auto out = output();
  auto cancelled = scope_.cancel_flag_for_tasks();
  if (scope_.task_key == 0)  // only this request's tasks can say they are done
    scope_.task_key = rt_.next_secret();
  auto done_token = scope_.task_key;
  ++scope_.running_tasks;
  auto run = [task = std::move(task), out, cancelled, source, done_token,
              token = rt_.running_task_token()] {
    if (!cancelled->load()) {
      task_context t{out, cancelled, source};
      try {
        task(t);
      } catch (...) {
        out.fail("threw: " + detail::what(std::current_exception()), status::internal_server_error,
                 source);
      }
    }
    caf::anon_send(out.writer(), done_atom::value, out.id(), done_token);
  };
  if (!rt_.pool.post(std::move(run))) {
    --scope_.running_tasks;
    fail(worker_error{source, "not started: the server is shutting down",
                      status::service_unavailable});
  }
}

}  // namespace fastactor
