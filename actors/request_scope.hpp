#pragma once
// request_scope: everything one request/response exchange owns, kept as a value inside the
// writer actor. The writer outlives it (one writer serves a connection's keep-alive requests
// in turn); the scope's stream id is what keeps requests apart.

#include "actors/connection.hpp"
#include "actors/held_share.hpp"
#include "protocol/content_encoder.hpp"
#include "protocol/release_memory.hpp"
#include "protocol/spare_parts.hpp"
#include <fastactor/compression.hpp>
#include <fastactor/handler.hpp>
#include <fastactor/messages.hpp>
#include <fastactor/request.hpp>
#include <fastactor/sse.hpp>
#include <fastactor/status.hpp>
#include <fastactor/task_context.hpp>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/response_promise.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fastactor {

/// The writer's state machine for one response (docs/design-notes.md: "One writer actor per
/// connection").
enum class response_phase : std::uint8_t {
  open,  ///< no byte sent: status and headers may still change
  streaming,  ///< head sent with chunked transfer coding; chunks go out as they arrive
  finishing,  ///< the last write is in flight; nothing more is accepted
};

/// When output leaves the server.
enum class response_mode : std::uint8_t {
  stream,  ///< as soon as it exists (after the handler returned): chunked if producers run on
  buffer,  ///< all at once when the response is complete: Content-Length, or a full error report
};

/// What the body is, for the in-band parts the writer adds (error events, heartbeats).
enum class stream_format : std::uint8_t {
  plain,  ///< bytes as written
  sse,  ///< text/event-stream: errors become `event: error`, idle streams get `: ping`
  ndjson,  ///< application/x-ndjson: errors become `{"error":{...}}` lines
};

/// A time that never comes: no deadline, no timer armed.
inline constexpr auto no_deadline = std::chrono::steady_clock::time_point::max();

/// How much of a response's errors and held-back results is kept for its report.
struct report_limits {
  static constexpr std::size_t errors_max = 32;  ///< more are only counted
  static constexpr std::size_t message_max = 1024;  ///< bytes of one error's message
  static constexpr std::size_t source_max = 128;  ///< bytes of one error's source
  static constexpr std::size_t results_max = 64 * 1024;  ///< bytes of results in a report
};

/// What an access-log line needs of a request that a long response has let go
/// (request_scope::release_spent_fields).
struct logged_request {
  std::string peer;
  std::string method;
  std::string target;
};

struct request_scope {
  /// `held` counts the response bytes this scope holds toward the server's total: the
  /// writer's share of it, which outlives the writer's scopes.
  request_scope(stream_id sid, channel_id ch, std::shared_ptr<routed_request> r, held_share& held)
    : id(sid), channel(ch), in(std::move(r)), version(in->req.version), head(in->req.is_head()),
      keep_alive_asked(in->req.keep_alive),
      arrived(in->arrived != std::chrono::steady_clock::time_point{}
                ? in->arrived
                : std::chrono::steady_clock::now()),
      held_(held) {}

  request_scope(const request_scope&) = delete;
  request_scope& operator=(const request_scope&) = delete;

  ~request_scope() {
    drop_queue();
    release_in_flight();
  }

  /// The request, while the scope holds it: until release_spent_fields() lets it go (the
  /// handler has returned by then; version, head and keep_alive_asked outlive it).
  const request& req() const { return in->req; }

  /// The request line's parts and the peer, for the access log: the request's own, or what
  /// release_spent_fields() kept of them.
  std::string_view log_peer() const {
    return in ? std::string_view{in->req.peer} : logged ? logged->peer : std::string_view{};
  }
  std::string_view log_method() const {
    return in ? in->req.method_name() : logged ? logged->method : std::string_view{};
  }
  std::string_view log_target() const {
    return in ? std::string_view{in->req.target} : logged ? logged->target : std::string_view{};
  }

  stream_id id;
  channel_id channel;  ///< where on the connection it is answered (connection.hpp)
  std::shared_ptr<routed_request> in;  ///< null once release_spent_fields() let it go
  unsigned version;  ///< the request's: 10, 11 or 20
  bool head;  ///< a HEAD request: the body is not sent
  bool keep_alive_asked;  ///< the request lets the connection stay open
  std::unique_ptr<logged_request> logged;  ///< with an access log, once `in` is let go
  /// When the handler returned with the response still open (arm_deadline notes it; a
  /// response complete at once never reads the clock for it): the request timeout counts from
  /// here (a slow upload or a pipelined request's wait takes nothing from its producers' time).
  std::chrono::steady_clock::time_point started{};
  /// When the request arrived (routed_request::arrived; when its scope opened if it was not
  /// read from a connection): its duration, for the metrics and the access log, counts from
  /// here.
  std::chrono::steady_clock::time_point arrived;

  // The response head, fixed when the first byte goes out. (The small fields of the scope
  // sit together here: a paced stream holds its scope for its whole life.)
  fastactor::status status = fastactor::status::ok;
  std::optional<fastactor::status> sent_status;  ///< once the head went out (metrics, log)
  response_mode mode = response_mode::stream;
  response_phase phase = response_phase::open;
  stream_format format = stream_format::plain;
  bool handler_returned = false;
  /// The channel's one write in flight: its kind, and the body bytes it holds (still counted
  /// in held_total until it is done).
  bool write_in_flight = false;
  write_kind last_kind = write_kind::more;
  std::size_t in_flight_bytes = 0;
  /// Set when the response has no body (HEAD, 204, 304): output is counted, never kept.
  bool discard_body = false;
  /// Set while an error report is due: results past report_limits::results_max are
  /// dropped (and counted) instead of queued.
  bool capping_results = false;
  std::uint32_t errors_dropped = 0;  ///< errors past report_limits::errors_max, only counted
  /// The handler's choice (context::set_compression), and what came of it.
  compression compress = compression::automatic;
  /// Another Accept-Encoding could have changed the coding: the head says `Vary`.
  bool varies_by_encoding = false;
  content_coding coding = content_coding::identity;  ///< with `encoder`
  name_value_list headers;
  std::uint64_t last_event_id = 0;  ///< SSE: the id of the last numbered event

  // Producers: the response is complete when all of them are done.
  std::size_t handler_errors = 0;  ///< errors recorded while the handler ran
  std::size_t running_tasks = 0;  ///< blocking tasks not done yet
  /// What a task's `done` must carry (made with the first task): a `done` without it is
  /// forged and changes nothing.
  std::uint64_t task_key = 0;
  std::vector<caf::actor> workers;  ///< worker actors, monitored by the writer
  /// Long-lived producers this response is subscribed to (context::subscribe): watched
  /// (producer_watches), never stopped; told `ended_atom` if the response ends without their
  /// finish.
  std::vector<caf::actor> shared_producers;
  /// What a shared producer's finish must carry (made by the first subscribe; 0: none).
  std::uint64_t finish_key = 0;

  // Output not yet handed to the socket, and what went wrong.
  std::vector<std::string> queue;
  std::size_t queued_bytes = 0;
  std::uint64_t discarded_bytes = 0;  ///< see discard_body
  std::uint64_t results_dropped_bytes = 0;  ///< see capping_results
  std::vector<worker_error> errors;  ///< at most report_limits::errors_max
  std::vector<caf::response_promise> waiting_acks;  ///< flow-controlled writes to acknowledge

  cancel_flag cancelled;  ///< made when the first blocking task starts (most requests have none)
  std::chrono::steady_clock::time_point deadline = no_deadline;  ///< set once it is armed
  std::chrono::steady_clock::time_point timer_due = no_deadline;  ///< the connection's timer
  /// Of the last write of an SSE stream, whose heartbeats count from it (not kept for others).
  std::chrono::steady_clock::time_point last_output{};

  std::uint64_t body_bytes = 0;  ///< sent, for the metrics and the access log
  /// The body's compressor, made with the head if the response is coded (its memory is
  /// counted in held_total while it lives).
  std::unique_ptr<content_encoder> encoder;

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

  /// The response bytes the whole server holds, as this scope's writer knows them.
  std::int64_t server_held_bytes() const { return held_.server_bytes(); }
  /// Adds the writer's unpublished part to the server's total now (for a handler that reads
  /// the server's counters: it then sees what it queued itself). The writer's thread only.
  void publish_held() { held_.publish(); }

  bool complete() const {
    return handler_returned && running_tasks == 0 && workers.empty() && shared_producers.empty();
  }

  void append(std::string&& bytes) {
    if (discard_body) {
      discarded_bytes += bytes.size();
      return;
    }
    if (capping_results && queued_bytes + bytes.size() > report_limits::results_max) {
      results_dropped_bytes += bytes.size();
      return;
    }
    queued_bytes += bytes.size();
    held_.add(bytes.size());
    if (queue.capacity() == 0)  // room for the framing, so that take_queue hands it on whole
      queue = spare_parts::take(1 + framing_parts);
    queue.push_back(std::move(bytes));
  }

  /// What HTTP/1.1 framing adds around a write's body parts (head, size line, CRLF, last
  /// chunk): a write's vector has room for them, so that the framer never reallocates
  /// (protocol/http1_framer.cpp).
  static constexpr std::size_t framing_parts = 4;

  /// Moves the queue out for a write; the bytes stay counted as held until the writer
  /// releases them (release_written) once the write is done.
  std::size_t take_queue(std::vector<std::string>& into) {
    settle_front();
    // A response's one write (the usual case) takes the queue's own vector: one allocation
    // per response less.
    if (into.empty() && queue.capacity() >= queue.size() + framing_parts) {
      into.swap(queue);
      return std::exchange(queued_bytes, 0);
    }
    into.reserve(into.size() + queue.size() + framing_parts);
    for (auto& part : queue)
      into.push_back(std::move(part));
    queue.clear();
    return std::exchange(queued_bytes, 0);
  }

  /// A coded stream takes its queue a slice at a time from the front (compress_queue): the
  /// parts before queue_front are taken (emptied), and so are the first front_offset bytes of
  /// the part at queue_front. Erasing the front for every slice instead would cost a move of
  /// every part still queued, per slice: quadratic in the parts a fast producer queues.
  std::size_t queue_front = 0;
  std::size_t front_offset = 0;

  /// Marks the queue taken up to part `end` and `end_offset` bytes into it (both from
  /// compress_queue, at or past queue_front and front_offset), `bytes` in all: they leave the
  /// queue but stay counted as held, as take_queue's do. Amortized O(1) per part.
  void advance_front(std::size_t end, std::size_t end_offset, std::size_t bytes) {
    for (auto i = queue_front; i < end; ++i)
      std::string{}.swap(queue[i]);  // its memory now, not at the next compaction
    queue_front = end;
    front_offset = end_offset;
    queued_bytes -= bytes;
    if (queue_front * 2 >= queue.size())  // no more moves than parts taken since the last
      drop_taken_parts();
  }

  /// Makes the queue start at its first part not taken, as everything but compress_queue
  /// expects.
  void settle_front() {
    if (front_offset > 0) {
      queue[queue_front].erase(0, front_offset);
      front_offset = 0;
    }
    drop_taken_parts();
  }

private:
  void drop_taken_parts() {
    queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(queue_front));
    queue_front = 0;
  }

public:
  /// Keeps at most report_limits::results_max bytes of the queue for an error report (the
  /// queue of a response that failed on its buffer cap holds up to stream-buffer-max).
  void cap_results() {
    settle_front();
    std::size_t kept = 0, bytes = 0;
    while (kept < queue.size() && bytes + queue[kept].size() <= report_limits::results_max)
      bytes += queue[kept++].size();
    for (auto i = kept; i < queue.size(); ++i)
      results_dropped_bytes += queue[i].size();
    held_.take(queued_bytes - bytes);
    queue.resize(kept);
    queued_bytes = bytes;
  }

  /// The write in flight is done, or will never be heard of again (the scope ends before it
  /// is): its bytes are no longer held.
  void release_in_flight() {
    unhold(in_flight_bytes);
    in_flight_bytes = 0;
    write_in_flight = false;
  }

  /// Forgets the queue (the response failed, or has no body).
  void drop_queue() {
    unhold(queued_bytes);
    queue.clear();
    queue_front = front_offset = 0;
    queued_bytes = 0;
  }

  /// Frees what a response under way no longer reads: once its handler has returned and its
  /// head is out, it reads only the facts copied at the start (version, head,
  /// keep_alive_asked) and, for the access log, the request line and the peer; its own
  /// header fields not at all. A long stream (SSE, a paced download) would otherwise hold its
  /// client's request (~300 bytes and its fields, query and body) and its own head's fields
  /// for its whole life. Only while the scope holds the request alone (context::req() is
  /// valid while the handler runs, no longer): the session made it mutable, so moving its
  /// strings out through the scope's const view is sound. `for_log`: keep what the access log
  /// needs (one allocation of its own, the target's text moved, not copied).
  void release_spent_fields(bool for_log) {
    if (!handler_returned || phase == response_phase::open || !in || in.use_count() != 1)
      return;
    if (for_log) {
      auto& req = const_cast<request&>(in->req);
      logged = std::make_unique<logged_request>(
        logged_request{std::move(req.peer), std::string{req.method_name()}, std::move(req.target)});
    }
    in.reset();
    release_memory(headers);
  }

  /// Records an error, bounded: long texts are cut, a status that is not an error status
  /// becomes 500, and errors past errors_max are only counted.
  void add_error(worker_error e) {
    if (errors.size() >= report_limits::errors_max) {
      errors_dropped += errors_dropped < UINT32_MAX;
      return;
    }
    bound(e);
    errors.push_back(std::move(e));
  }

  /// Cuts long texts and makes a status that is not an error status 500: what a producer
  /// (on another node, too) sends is never trusted to be either.
  static void bound(worker_error& e) {
    truncate(e.message, report_limits::message_max);
    truncate(e.source, report_limits::source_max);
    if (!is_error(e.status))
      e.status = status::internal_server_error;
  }

  std::size_t error_count() const { return errors.size() + errors_dropped; }

  /// Appends an SSE event, numbering it (strictly increasing) if it has no id.
  void append_event(sse_event ev) {
    if (ev.id.empty() && !ev.data.empty())
      ev.id = std::to_string(++last_event_id);
    else if (auto n = parse_event_id(ev.id); n && *n > last_event_id)
      last_event_id = *n;
    append(encode_sse(ev));
  }

  /// True if `who` is one of the shared producers this response is subscribed to.
  bool holds_shared_producer(const caf::actor_addr& who) const {
    for (auto& p : shared_producers)
      if (p.address() == who)
        return true;
    return false;
  }

  /// Forgets `who` as a shared producer; false if it was not one of this scope's.
  bool remove_shared_producer(const caf::actor_addr& who) {
    for (auto i = shared_producers.begin(); i != shared_producers.end(); ++i)
      if (i->address() == who) {
        shared_producers.erase(i);
        return true;
      }
    return false;
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

private:
  /// Takes `bytes` off the server's held total.
  void unhold(std::size_t bytes) { held_.take(bytes); }

  static void truncate(std::string& text, std::size_t max) {
    if (text.size() > max)
      text.replace(max, std::string::npos, "...");
  }

  held_share& held_;
};

}  // namespace fastactor
