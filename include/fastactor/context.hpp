#pragma once
// context: a handler's view of its request. It lives in the request's writer actor and is
// valid while the handler runs; whatever must outlive the handler (a worker, a task) takes
// `output()`, a response_handle, instead.
//
//   void hello(fastactor::context& ctx) { ctx.write("ok"); }
//
//   void fan_out(fastactor::context& ctx) {
//     for (int i = 0; i < 5; ++i)
//       ctx.spawn(my_worker, i);   // my_worker(event_based_actor*, response_handle, int)
//   }

#include <fastactor/compression.hpp>
#include <fastactor/errors.hpp>
#include <fastactor/handler.hpp>
#include <fastactor/messages.hpp>
#include <fastactor/response_handle.hpp>
#include <fastactor/sse.hpp>
#include <fastactor/stats.hpp>
#include <fastactor/status.hpp>
#include <fastactor/task_context.hpp>

#include <caf/detail/type_traits.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>

namespace fastactor {

struct request_scope;  // the writer's state for one response (private)
struct runtime;  // what a server's writers share (private)

namespace detail {

/// The text of an exception caught as `ep`.
std::string what(const std::exception_ptr& ep);

/// Makes an exception thrown by a worker an error entry of its response (not only a dead
/// actor): the report names the worker and carries the exception's text.
void report_exceptions(caf::scheduled_actor* self, response_handle out);

}  // namespace detail

/// For workers not spawned through context::spawn (a class-based actor spawned by hand, then
/// adopted): call it in the worker's constructor or make_behavior so that an exception it
/// throws becomes an error entry with its text, as for spawned workers.
inline void report_worker_exceptions(caf::scheduled_actor* self, response_handle out) {
  detail::report_exceptions(self, std::move(out));
}

/// A handler's view of its request: read the request, set the response head, write, fail, and
/// start producers. Lives in the request's writer actor and is valid while the handler runs.
class context {
public:
  /// Made by the writer for each handler call.
  context(caf::event_based_actor* self, request_scope& scope, runtime& rt)
    : self_(self), scope_(scope), rt_(rt) {}

  // -- the request --------------------------------------------------------------------------

  /// The request: method, target, path, query, headers, body, peer. Valid while the handler
  /// runs: a worker or task that needs a part of it later takes a copy (the connection may
  /// reuse the request's memory for its next request once the response is done).
  const request& req() const;

  /// The integer query parameter `name`, `fallback` when absent. A value that is not an
  /// integer in [min, max] fails the request with 400 and a message naming the parameter;
  /// the result is then empty and the handler should return.
  std::optional<long long> int_param(std::string_view name, long long fallback, long long min,
                                     long long max);

  // -- the response head (until the first byte is sent) -----------------------------------

  /// Sets the status: 200-599 (a 204 or 304 response has no body: output is dropped).
  /// Another value is refused: the response fails with 500 and says why.
  void set_status(status code);
  /// Sets a header field, replacing one of the same name. A name that is not a token, a
  /// value with CR, LF or NUL, or a field that frames the message (Content-Length,
  /// Transfer-Encoding, Connection, ...: the writer's) is refused: the header is not set,
  /// and the response fails with 500 and says why.
  void set_header(std::string name, std::string value);
  /// Sets the Content-Type header field.
  void set_content_type(std::string value) { set_header("Content-Type", std::move(value)); }
  /// Holds all output until the response is complete: it then goes out with Content-Length,
  /// or, if anything failed, as one error report listing every error and every result.
  void buffer_response();

  /// Whether this response may be compressed (see <fastactor/compression.hpp>): `off` for a
  /// response that mixes secrets with reflected input (BREACH), `on` for a type that is not
  /// compressed by default. Until the first byte is sent.
  void set_compression(compression choice);

  /// Makes this response a Server-Sent Events stream (text/event-stream, no caching, no proxy
  /// buffering). The head goes out as soon as the handler returns; events are numbered from
  /// the client's Last-Event-ID + 1, so a reconnecting browser resumes where it stopped;
  /// producers' errors arrive as `event: error` (JSON data); idle streams get `: ping`.
  void begin_sse();
  /// Makes this response an NDJSON stream (application/x-ndjson): one JSON value per line
  /// (<fastactor/ndjson.hpp>); producers' errors arrive as `{"error":{...}}` lines.
  void begin_ndjson();
  /// The numeric Last-Event-ID the client sent (a reconnecting EventSource), if any.
  std::optional<std::uint64_t> last_event_id() const;

  // -- output -------------------------------------------------------------------------------

  /// Appends bytes to the response. Safe only inside the handler; producers use `output()`.
  void write(std::string bytes);
  /// Appends a Server-Sent Event (see begin_sse); without an id the writer numbers it.
  void write_event(sse_event ev);
  /// Records an error; the response goes on. An error recorded before the first byte went
  /// out makes the response an error report (sent once every producer is done, with the first
  /// error's status); after that, errors go into the `Fastactor-Errors` trailer.
  void fail(std::string message, status code = status::internal_server_error) {
    fail(worker_error{"handler", std::move(message), code});
  }
  /// Records an error with its own source and status (see fail above).
  void fail(worker_error e);

  /// The handle producers write through (to the writer, tagged with this request's id).
  response_handle output() const {
    return response_handle{caf::actor_cast<caf::actor>(self_), id()};
  }
  /// Set once the request has ended (for code that runs outside the writer and polls).
  cancel_flag cancelled() const;

  // -- producers ----------------------------------------------------------------------------

  /// Spawns a worker actor for this request, monitored by the writer.
  /// `fun(self, output, xs...)` is an ordinary CAF actor function (the self pointer may be an
  /// `event_based_actor*` or a `stateful_actor<S>*`) that returns its behavior, or nothing
  /// for a worker that has done all its work in the body. The worker is done when it
  /// terminates: a normal exit is success; an exception or another exit reason (`kill`
  /// included) becomes an error of this response, never of the connection. When the
  /// request ends the worker is stopped with `exit_reason::kill` (an exit handler of its
  /// own cannot keep it alive).
  template <class F, class... Ts>
  caf::actor spawn(F fun, Ts... xs);

  /// Makes an actor spawned elsewhere a worker of this request (monitored, stopped
  /// with the request). It must already have this request's `output()`, and should call
  /// report_worker_exceptions() so that an exception's text is reported. An empty handle (an
  /// actor_cast of the address of an actor that has ended) is an error of the response.
  void adopt(const caf::actor& worker);

  /// Keeps this response open for `producer`, a long-lived actor that feeds many responses
  /// (a broadcaster, one pacer for many slow streams) instead of a worker per response, and
  /// returns the handle to give it (in a message of your own, sent through self(), so that
  /// the writer's `ended_atom` comes after it): output() plus the key that lets the producer
  /// finish the response. Unlike a worker it is never stopped by
  /// the request: the server watches it (one attachment per server, not per response), and
  /// the response ends
  ///  * when the producer sends `handle.finish(self)` (and nothing else still produces),
  ///  * when it exits (an exit other than `normal` is an error of the response), or
  ///  * for the usual reasons (the client left, the deadline, an overflow, the server's
  ///    shutdown): then the producer gets `(ended_atom, response_handle)`, so that it can
  ///    forget the response. A producer that keeps handles must handle it, or it holds every
  ///    response it was ever given.
  /// An error recorded before the first byte (the response becomes an error report) also
  /// ends the subscription: the report does not wait for the producer. Subscribing the same
  /// producer twice to one response counts once.
  response_handle subscribe(const caf::actor& producer);

  /// Runs `task` in the blocking pool, off the actor scheduler. It is a producer of this
  /// request until it returns; an exception it throws becomes an error entry.
  void go(std::function<void(task_context&)> task, std::string source = "task");

  // -- for advanced use ---------------------------------------------------------------------

  /// The writer actor. A handler may `request` other actors through it, but such a request is
  /// no producer: the response may complete before the reply. To wait for another actor,
  /// spawn a worker that asks it. A request without an error handler that fails is counted in
  /// `unexpected_messages_total` and dropped (it does not end the writer, as CAF's default
  /// error handler would). Its callbacks run outside the handler's try block: one that throws
  /// ends the writer and the connection (CAF ends an actor on an exception), so catch in it. Spawn
  /// through spawn() or system(), not `self()->spawn`: an actor spawned by the writer starts out on
  /// the writer's execution unit, which belongs to the connection (a blocking actor would go on
  /// using it after the connection is gone). Never `become` through it: the writer's behavior
  /// is the server's (and has no receive timeout, which its connection's turns rely on).
  caf::event_based_actor* self() const { return self_; }
  /// The actor system the server runs in.
  caf::actor_system& system() const { return self_->system(); }
  /// This request's stream id: what producers' messages are tagged with.
  stream_id id() const;
  /// The server's counters (what /metrics shows), as of this call (see server::stats()).
  const server_stats& stats() const;
  /// The server's shared state (limits, blocking pool, counters); its type is private to the
  /// library, which uses this to start blocking tasks for parallel_execute.
  runtime& server_runtime() const { return rt_; }

private:
  caf::event_based_actor* self_;
  request_scope& scope_;
  runtime& rt_;
};

template <class F, class... Ts>
caf::actor context::spawn(F fun, Ts... xs) {
  using args = typename caf::detail::get_callable_trait<F>::arg_types;
  using self_ptr = typename caf::detail::tl_head<args>::type;
  static_assert(
    std::is_pointer_v<self_ptr>,
    "a worker is `behavior fun(Self* self, response_handle out, args...)` (or returns void)");
  auto body = [fun = std::move(fun), xs...](self_ptr self, response_handle out) mutable {
    detail::report_exceptions(self, out);
    return fun(self, std::move(out), std::move(xs)...);
  };
  auto worker = self_->spawn(std::move(body), output());
  adopt(worker);
  return worker;
}

}  // namespace fastactor
