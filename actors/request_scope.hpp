#pragma once
// request_scope: everything one request/response exchange owns, kept as a value inside the
// writer actor. The writer outlives it (one writer serves a connection's keep-alive requests
// in turn); the scope's stream id is what keeps requests apart.

#include "actors/handler.hpp"
#include "protocol/messages.hpp"
#include "protocol/request.hpp"
#include "protocol/sse.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/response_promise.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace fastactor {

/// The writer's state machine for one response (DESIGN.md).
enum class response_phase {
  open,       ///< no byte sent: status and headers may still change
  streaming,  ///< head sent with chunked transfer coding; chunks go out as they arrive
  finishing,  ///< the last write is in flight; nothing more is accepted
};

/// When output leaves the server.
enum class response_mode {
  stream,  ///< as soon as it exists (after the handler returned): chunked if producers run on
  buffer,  ///< all at once when the response is complete: Content-Length, or a full error report
};

/// What the body is, for the in-band parts the writer adds (error events, heartbeats).
enum class stream_format {
  plain,   ///< bytes as written
  sse,     ///< text/event-stream: errors become `event: error`, idle streams get `: ping`
  ndjson,  ///< application/x-ndjson: errors become `{"error":{...}}` lines
};

/// A time that never comes: no deadline, no timer armed.
inline constexpr auto no_deadline = std::chrono::steady_clock::time_point::max();

/// Set once the request has ended. Blocking tasks check it; their late results are dropped.
using cancel_flag = std::shared_ptr<std::atomic<bool>>;

struct request_scope {
  request_scope(stream_id sid, std::shared_ptr<const routed_request> r)
    : id(sid), in(std::move(r)) {}

  const request& req() const { return in->req; }

  stream_id id;
  std::shared_ptr<const routed_request> in;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  // The response head, fixed when the first byte goes out.
  std::uint16_t status = 200;
  name_value_list headers;
  response_mode mode = response_mode::stream;
  response_phase phase = response_phase::open;
  stream_format format = stream_format::plain;
  std::uint64_t last_event_id = 0;  ///< SSE: the id of the last numbered event

  // Producers: the response is complete when all of them are done.
  bool handler_returned = false;
  std::size_t handler_errors = 0;   ///< errors recorded while the handler ran
  std::size_t running_tasks = 0;    ///< producers that are not actors (blocking tasks)
  std::vector<caf::actor> workers;  ///< worker actors, linked to the writer

  // Output not yet handed to the socket, and what went wrong.
  std::vector<std::string> queue;
  std::size_t queued_bytes = 0;
  std::vector<worker_error> errors;
  std::vector<caf::response_promise> waiting_acks;  ///< flow-controlled writes to acknowledge

  cancel_flag cancelled;  ///< made when the first blocking task starts (most requests have none)
  std::chrono::steady_clock::time_point deadline = no_deadline;   ///< set once it is armed
  std::chrono::steady_clock::time_point timer_due = no_deadline;  ///< the connection's timer
  std::chrono::steady_clock::time_point last_output = started;  ///< of the last write

  // What was sent, for the metrics and the access log.
  std::uint16_t sent_status = 0;  ///< 0 until the head went out
  std::uint64_t body_bytes = 0;

  const cancel_flag& cancel_flag_for_tasks() {
    if (!cancelled)
      cancelled = std::make_shared<std::atomic<bool>>(false);
    return cancelled;
  }

  /// Tells this request's blocking tasks that it has ended.
  void cancel_tasks() {
    if (cancelled)
      cancelled->store(true);
  }

  bool complete() const { return handler_returned && running_tasks == 0 && workers.empty(); }

  void append(std::string bytes) {
    queued_bytes += bytes.size();
    queue.push_back(std::move(bytes));
  }

  /// Appends an SSE event, numbering it (strictly increasing) if it has no id.
  void append_event(sse_event ev) {
    if (ev.id.empty() && !ev.data.empty())
      ev.id = std::to_string(++last_event_id);
    else if (auto n = parse_event_id(ev.id); n && *n > last_event_id)
      last_event_id = *n;
    append(encode_sse(ev));
  }

  /// Forgets `who` as a worker; false if it was not one of this scope's.
  bool remove_worker(const caf::actor_addr& who) {
    for (auto i = workers.begin(); i != workers.end(); ++i)
      if (i->address() == who) {
        workers.erase(i);
        return true;
      }
    return false;
  }
};

} // namespace fastactor
