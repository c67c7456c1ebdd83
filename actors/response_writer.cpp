#include "actors/response_writer.hpp"

#include "actors/context.hpp"
#include "actors/errors.hpp"
#include "actors/handoff.hpp"
#include "actors/request_scope.hpp"
#include "protocol/chunked.hpp"
#include "protocol/error_report.hpp"
#include "protocol/http_date.hpp"
#include "protocol/ndjson.hpp"
#include "protocol/sse.hpp"
#include "protocol/status.hpp"

#include <caf/all.hpp>

#include <cstdio>
#include <optional>

namespace fastactor {

namespace {

using flush_atom = caf::atom_constant<caf::atom("fa_flush")>;

struct writer_state {
  std::shared_ptr<connection> conn;
  std::shared_ptr<runtime> rt;
  std::optional<request_scope> scope;
  bool write_in_flight = false;
  write_kind last_kind = write_kind::more;  ///< of the write in flight
  bool draining = false;  ///< the server is stopping: finish this response, then close
  bool flush_pending = false;  ///< a flush_atom is on its way: acks go out after this batch

  ~writer_state() {
    if (conn)
      conn->close();
    if (rt)
      rt->stats.live_writers.fetch_sub(1, std::memory_order_relaxed);
  }

  static inline const char* name = "fastactor.response_writer";
};

class writer_actor;
caf::behavior response_writer(writer_actor* self);

/// The writer runs where its connection says: CAF resumes a scheduled actor through the
/// execution unit passed to `enqueue` and `launch`, so passing the connection's own unit for
/// every message — as caf::io::abstract_broker passes its multiplexer — keeps every resume
/// on the connection's thread, and declaring itself an I/O actor tells that unit which
/// resumable is the writer.
class writer_actor : public caf::stateful_actor<writer_state> {
public:
  using super = caf::stateful_actor<writer_state>;

  writer_actor(caf::actor_config& cfg, std::shared_ptr<connection> conn,
               std::shared_ptr<runtime> rt, caf::execution_unit* home)
    : super(cfg), home_(home) {
    state.conn = std::move(conn);
    state.rt = std::move(rt);
    state.rt->stats.live_writers.fetch_add(1, std::memory_order_relaxed);
  }

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit*) override {
    super::enqueue(std::move(ptr), home_);
  }

  void launch(caf::execution_unit*, bool lazy, bool hide) override {
    super::launch(home_, lazy, hide);
  }

  subtype_t subtype() const override {
    return caf::resumable::io_actor;
  }

  caf::behavior make_behavior() override {
    return response_writer(this);
  }

private:
  // Owned by the connection, which the state keeps alive until the writer quits; the unit
  // holds it through each turn, the last one included (CAF sends the writer's exit and down
  // messages through the unit after the state let the connection go). Afterwards the pointer
  // dangles but is never used: CAF touches the unit only to wake a blocked actor, and a
  // terminated actor's mailbox is closed. (Owning it here instead would let a worker's last
  // handle keep an Asio strand alive past its io_context.)
  caf::execution_unit* home_;
};

// -- the response head ------------------------------------------------------------------------

enum class framing { content_length, chunked, until_close };

std::string make_head(const request_scope& sc, const runtime& rt, std::uint16_t status,
                      framing how, std::size_t content_length, bool keep_alive,
                      const char* content_type = nullptr) {
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  head += reason_phrase(status);
  head += "\r\nServer: ";
  head += rt.server_name;
  head += "\r\nDate: ";
  head += http_date_now();
  head += "\r\n";
  bool has_type = content_type != nullptr;
  if (content_type) {
    head += "Content-Type: ";
    head += content_type;
    head += "\r\n";
  }
  for (const auto& [name, value] : sc.headers) {
    if (iequals(name, "Content-Type")) {
      if (has_type)
        continue;
      has_type = true;
    }
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (!has_type)
    head += "Content-Type: text/plain; charset=utf-8\r\n";
  switch (how) {
    case framing::content_length:
      head += "Content-Length: ";
      head += std::to_string(content_length);
      head += "\r\n";
      break;
    case framing::chunked:
      head += "Transfer-Encoding: chunked\r\nTrailer: Fastactor-Errors\r\n";
      break;
    case framing::until_close:
      break;
  }
  if (!keep_alive)
    head += "Connection: close\r\n";
  else if (sc.req().version == 10)
    head += "Connection: keep-alive\r\n";
  head += "\r\n";
  return head;
}

// -- sending ----------------------------------------------------------------------------------

void start_write(writer_actor* self, std::vector<std::string> parts, write_kind kind,
                 std::size_t body_bytes) {
  auto& st = self->state;
  st.write_in_flight = true;
  st.last_kind = kind;
  if (st.scope)
    st.scope->last_output = std::chrono::steady_clock::now();
  st.rt->stats.stream_bytes_total.fetch_add(body_bytes, std::memory_order_relaxed);
  if (st.scope)
    st.scope->body_bytes += body_bytes;
  st.conn->write(std::move(parts), kind);
}

/// Acknowledges flow-controlled writes once the queue is below the high-water mark.
void release_acks(writer_actor* self) {
  auto& sc = *self->state.scope;
  if (sc.queued_bytes >= self->state.rt->limits.stream_buffer)
    return;
  for (auto& rp : sc.waiting_acks)
    rp.deliver(ack_atom::value);
  sc.waiting_acks.clear();
}

/// Moves the queue into `parts`, as one HTTP chunk if `chunk` is set.
std::size_t take_queue(request_scope& sc, std::vector<std::string>& parts, bool chunk) {
  auto bytes = sc.queued_bytes;
  if (bytes == 0)
    return 0;
  if (chunk)
    parts.push_back(chunked::size_line(bytes));
  for (auto& part : sc.queue)
    parts.push_back(std::move(part));
  if (chunk)
    parts.emplace_back(chunked::crlf);
  sc.queue.clear();
  sc.queued_bytes = 0;
  return bytes;
}

bool keep_alive(const writer_actor* self) {
  return self->state.scope->req().keep_alive && !self->state.draining;
}

write_kind final_kind(bool keep) {
  return keep ? write_kind::last_keep_alive : write_kind::last_close;
}

/// The response is complete before any byte went out: one write, Content-Length framing.
void send_whole(writer_actor* self) {
  auto& st = self->state;
  auto& sc = *st.scope;
  auto keep = keep_alive(self);
  std::vector<std::string> parts;
  std::size_t body_bytes = 0;
  sc.sent_status = sc.errors.empty() ? sc.status : error_status(sc.errors);
  if (sc.errors.empty()) {
    parts.push_back(
      make_head(sc, *st.rt, sc.status, framing::content_length, sc.queued_bytes, keep));
    if (sc.req().is_head())
      sc.queue.clear();
    else
      body_bytes = take_queue(sc, parts, false);
  } else {
    auto body = error_report_json(sc.errors, sc.queue);
    parts.push_back(make_head(sc, *st.rt, error_status(sc.errors), framing::content_length,
                              body.size(), keep, "application/json"));
    body_bytes = body.size();
    if (!sc.req().is_head())
      parts.push_back(std::move(body));
  }
  sc.queue.clear();
  sc.queued_bytes = 0;
  sc.phase = response_phase::finishing;
  start_write(self, std::move(parts), final_kind(keep), body_bytes);
}

// -- the timer --------------------------------------------------------------------------------

// The writer's two timers — the request deadline and the SSE heartbeat — share its
// connection's one Asio timer: the writer arms it for whichever is due first and looks at
// the clock when `timer_atom` arrives (a late or stale one does no harm). Not CAF timeouts:
// each costs a wake-up of CAF's clock thread, about 400 bytes per streaming request, and a
// delayed_send cannot even be cancelled in CAF 0.17 (it pinned closed connections' writers
// for the whole 60 s deadline).

bool sends_heartbeats(const writer_actor* self) {
  const auto& sc = *self->state.scope;
  return sc.format == stream_format::sse && sc.phase == response_phase::streaming
         && self->state.rt->limits.sse_heartbeat.count() > 0;
}

/// Arms the connection's timer for the deadline or the next heartbeat, whichever is first.
void arm_timer(writer_actor* self) {
  auto& sc = *self->state.scope;
  auto now = std::chrono::steady_clock::now();
  auto due = sc.deadline;
  if (sends_heartbeats(self)) {
    auto beat = sc.last_output + self->state.rt->limits.sse_heartbeat;
    due = std::min(due, beat > now ? beat : now + self->state.rt->limits.sse_heartbeat);
  }
  if (due < sc.timer_due) {  // an earlier wake-up also sees what is due later
    sc.timer_due = due;
    self->state.conn->set_timer(due);
  }
}

/// First bytes of a response whose producers still run: head plus what is queued.
void start_streaming(writer_actor* self) {
  auto& st = self->state;
  auto& sc = *st.scope;
  bool http10 = sc.req().version == 10;  // no chunked coding: the body ends with the connection
  std::vector<std::string> parts;
  parts.push_back(make_head(sc, *st.rt, sc.status,
                            http10 ? framing::until_close : framing::chunked,
                            0, !http10 && keep_alive(self)));
  auto bytes = take_queue(sc, parts, !http10);
  sc.phase = response_phase::streaming;
  sc.sent_status = sc.status;
  start_write(self, std::move(parts), write_kind::more, bytes);
  if (sends_heartbeats(self))
    arm_timer(self);
}

/// Every producer is done: the queued rest, the last chunk and the error trailer.
void finish_stream(writer_actor* self) {
  auto& st = self->state;
  auto& sc = *st.scope;
  bool http10 = sc.req().version == 10;
  std::vector<std::string> parts;
  auto bytes = take_queue(sc, parts, !http10);
  if (!http10)
    parts.push_back(chunked::last_chunk("Fastactor-Errors: " + error_list_json(sc.errors)
                                        + "\r\n"));
  sc.phase = response_phase::finishing;
  start_write(self, std::move(parts), final_kind(!http10 && keep_alive(self)), bytes);
}

void arm_deadline(writer_actor* self) {
  auto& sc = *self->state.scope;
  auto timeout = self->state.rt->limits.request_timeout;
  if (sc.deadline != no_deadline || timeout.count() <= 0)
    return;
  sc.deadline = sc.started + timeout;
  arm_timer(self);
}

/// An error before the first byte makes the response an error report. In an event stream
/// (SSE, NDJSON) only the handler's own errors do: producers' errors travel in-band.
bool must_report_errors(const request_scope& sc) {
  return sc.format == stream_format::plain ? !sc.errors.empty() : sc.handler_errors > 0;
}

/// Moves the response forward after anything changed. The one place that decides what to
/// send next.
void progress(writer_actor* self) {
  auto& st = self->state;
  if (!st.scope || st.write_in_flight)
    return;
  auto& sc = *st.scope;
  switch (sc.phase) {
    case response_phase::open:
      if (sc.complete())
        return send_whole(self);
      arm_deadline(self);
      if (must_report_errors(sc))
        sc.mode = response_mode::buffer;
      // Event streams open at once, so that a browser sees the connection before any event.
      if (sc.mode == response_mode::stream && sc.handler_returned
          && (sc.queued_bytes > 0 || sc.format != stream_format::plain))
        return start_streaming(self);
      return;
    case response_phase::streaming:
      if (sc.complete())
        return finish_stream(self);
      if (sc.queued_bytes > 0) {
        std::vector<std::string> parts;
        auto bytes = take_queue(sc, parts, sc.req().version != 10);
        start_write(self, std::move(parts), write_kind::more, bytes);
        release_acks(self);
      }
      return;
    case response_phase::finishing:
      return;
  }
}

// -- ending -----------------------------------------------------------------------------------

/// Counts the finished request and writes its access-log line. A request that ended before
/// its last byte went out is logged as 499 (nginx's "client closed request").
void account(writer_actor* self, const request_scope& sc, bool completed) {
  auto& stats = self->state.rt->stats;
  auto status = completed && sc.sent_status ? sc.sent_status : std::uint16_t{499};
  stats.responses_by_status[status < stats.responses_by_status.size() ? status : 0].fetch_add(
    1, std::memory_order_relaxed);
  auto elapsed = std::chrono::steady_clock::now() - sc.started;
  stats.request_duration.record(elapsed);
  if (!self->state.rt->limits.access_log)
    return;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  const auto& req = sc.req();
  char line[512];
  auto n = std::snprintf(line, sizeof(line), "%s \"%s %.300s HTTP/1.%u\" %u %llu %lld.%03lldms\n",
                         req.peer.empty() ? "-" : req.peer.c_str(), req.method.c_str(),
                         req.target.c_str(), req.version % 10, status,
                         static_cast<unsigned long long>(sc.body_bytes),
                         static_cast<long long>(us / 1000), static_cast<long long>(us % 1000));
  std::fwrite(line, 1, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(line) - 1), stdout);
}

/// Ends the current request scope: stops its workers and tasks, refuses pending acks.
/// `completed`: its last byte went out.
void end_scope(writer_actor* self, bool completed = false) {
  auto& st = self->state;
  if (!st.scope)
    return;
  auto& sc = *st.scope;
  account(self, sc, completed);
  auto reason = make_error(errc::request_finished);
  for (auto& worker : sc.workers)
    self->send_exit(worker, reason);
  sc.cancel_tasks();
  for (auto& rp : sc.waiting_acks)
    rp.deliver(reason);
  if (sc.timer_due != no_deadline)
    st.conn->cancel_timer();
  st.rt->stats.active_streams.fetch_sub(1, std::memory_order_relaxed);
  st.scope.reset();
}

/// The connection is finished (peer gone, cut-off, shutdown): end everything, close, quit.
void close_connection(writer_actor* self) {
  end_scope(self);
  self->state.conn->close();
  self->quit(make_error(errc::connection_closed));
}

/// An error that ends the request at once (deadline, overflow). Before the first byte the
/// client still gets an error report; after it, a cut-off.
void fail_fatally(writer_actor* self, worker_error err) {
  auto& st = self->state;
  auto& sc = *st.scope;
  sc.errors.push_back(std::move(err));
  st.rt->stats.worker_errors_total.fetch_add(1, std::memory_order_relaxed);
  if (sc.phase == response_phase::streaming)
    return close_connection(self);
  // Stop the producers now; the error report goes out once no write is in flight.
  for (auto& worker : sc.workers)
    self->send_exit(worker, make_error(errc::request_finished));
  sc.workers.clear();
  sc.running_tasks = 0;
  sc.handler_returned = true;
  sc.cancel_tasks();
  progress(self);
}

// -- message handlers -------------------------------------------------------------------------

/// Records a producer's error; event streams also carry it in-band.
void record_error(writer_actor* self, request_scope& sc, worker_error err) {
  self->state.rt->stats.worker_errors_total.fetch_add(1, std::memory_order_relaxed);
  if (sc.format == stream_format::sse)
    sc.append_event(sse_event{"error", error_object_json(err), {}, -1});
  else if (sc.format == stream_format::ndjson)
    sc.append(ndjson_error_line(err));
  sc.errors.push_back(std::move(err));
}

/// The scope a message tagged `id` may still change, or null (the message is stale).
request_scope* live_scope(writer_actor* self, stream_id id) {
  auto& st = self->state;
  if (st.scope && st.scope->id == id && st.scope->phase != response_phase::finishing)
    return &*st.scope;
  st.rt->stats.stale_messages_total.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void run_handler(writer_actor* self) {
  auto& st = self->state;
  auto& sc = *st.scope;
  if (sc.req().is_head())
    sc.mode = response_mode::buffer;  // HEAD answers with the Content-Length GET would have
  context ctx{self, sc, *st.rt};
  try {
    (*sc.in->fn)(ctx);
  } catch (...) {
    st.rt->stats.worker_errors_total.fetch_add(1, std::memory_order_relaxed);
    ctx.fail(worker_error{"handler", "threw: " + detail::what(std::current_exception()), 500});
  }
  sc.handler_returned = true;
  sc.handler_errors = sc.errors.size();
}

void on_request(writer_actor* self, std::shared_ptr<const routed_request>& in) {
  auto& st = self->state;
  if (st.scope)  // the session reads the next request only after the last write: a bug
    return close_connection(self);
  st.rt->stats.requests_total.fetch_add(1, std::memory_order_relaxed);
  st.rt->stats.active_streams.fetch_add(1, std::memory_order_relaxed);
  st.scope.emplace(st.rt->next_stream_id(), std::move(in));
  run_handler(self);
  progress(self);
}

void on_write_done(writer_actor* self, bool ok) {
  auto& st = self->state;
  st.write_in_flight = false;
  if (!ok) {
    st.rt->stats.client_disconnects_total.fetch_add(1, std::memory_order_relaxed);
    return close_connection(self);
  }
  if (st.scope && st.scope->phase == response_phase::finishing) {
    end_scope(self, true);
    if (st.last_kind == write_kind::last_close || st.draining)
      close_connection(self);
    return;
  }
  if (st.scope)
    release_acks(self);
  progress(self);
}

/// After output was queued: past the hard cap the response fails, else it moves on.
void after_append(writer_actor* self) {
  auto max = self->state.rt->limits.stream_buffer_max;
  if (self->state.scope->queued_bytes > max)
    return fail_fatally(self, {"server",
                               "response buffer passed stream-buffer-max (" + std::to_string(max)
                                 + " bytes): producers outran the client",
                               500});
  progress(self);
}

void on_chunk(writer_actor* self, stream_id id, std::string& bytes) {
  if (auto* sc = live_scope(self, id)) {
    sc->append(std::move(bytes));
    after_append(self);
  }
}

/// The reply to a flow-controlled write: now if the queue is below the high-water mark (or
/// the response is buffered), else when a write has drained it.
caf::result<ack_atom> ack_when_below_mark(writer_actor* self, stream_id id) {
  auto& st = self->state;
  auto rp = self->make_response_promise<ack_atom>();
  if (!st.scope || st.scope->id != id)
    rp.deliver(make_error(errc::request_finished));
  else if (st.scope->mode == response_mode::buffer)
    rp.deliver(ack_atom::value);
  else if (st.scope->queued_bytes < st.rt->limits.stream_buffer) {
    st.scope->waiting_acks.emplace_back(rp);
    if (!st.flush_pending) {
      st.flush_pending = true;
      self->send(self, flush_atom::value);
    }
  }
  else {
    st.rt->stats.backpressure_waits_total.fetch_add(1, std::memory_order_relaxed);
    st.scope->waiting_acks.emplace_back(rp);
  }
  return rp;
}

caf::result<ack_atom> on_acked_write(writer_actor* self, stream_id id, std::string& bytes) {
  if (!live_scope(self, id))
    return make_error(errc::request_finished);
  on_chunk(self, id, bytes);
  return ack_when_below_mark(self, id);
}

/// An SSE event; acknowledged like write_atom when it was sent as a request.
caf::result<ack_atom> on_event(writer_actor* self, stream_id id, sse_event& ev) {
  bool is_request = self->current_mailbox_element()->mid.is_request();
  auto* sc = live_scope(self, id);
  if (!sc)
    return is_request ? caf::result<ack_atom>{make_error(errc::request_finished)}
                      : caf::result<ack_atom>{caf::delegated<ack_atom>{}};
  sc->append_event(std::move(ev));
  after_append(self);
  if (!is_request)
    return caf::delegated<ack_atom>{};
  return ack_when_below_mark(self, id);
}

void on_fail(writer_actor* self, stream_id id, worker_error& err) {
  if (auto* sc = live_scope(self, id)) {
    record_error(self, *sc, std::move(err));
    progress(self);
  }
}

void on_task_done(writer_actor* self, stream_id id) {
  auto* sc = live_scope(self, id);
  if (!sc || sc->running_tasks == 0)
    return;
  --sc->running_tasks;
  progress(self);
}

/// A linked worker ended (links go both ways: it also dies with a writer that dies).
void on_worker_exit(writer_actor* self, caf::exit_msg& msg) {
  auto& st = self->state;
  if (!st.scope || !st.scope->remove_worker(msg.source))
    return;  // a worker of an ended request, stopped on purpose
  auto& reason = msg.reason;
  if (reason && reason != caf::exit_reason::normal && !is(reason, errc::worker_failed))
    record_error(self, *st.scope,
                 {"worker " + std::to_string(msg.source.id()), "exited: " + describe(reason), 500});
  progress(self);
}

void on_deadline(writer_actor* self) {
  auto& st = self->state;
  st.rt->stats.deadlines_total.fetch_add(1, std::memory_order_relaxed);
  fail_fatally(self, {"server",
                      "request deadline of " + std::to_string(st.rt->limits.request_timeout.count())
                        + " ms exceeded",
                      503});
}

/// The connection's timer went off: the deadline, or time to keep an idle SSE stream open
/// through proxies that cut silent connections.
void on_timer(writer_actor* self) {
  auto& st = self->state;
  if (!st.scope || st.scope->phase == response_phase::finishing)
    return;
  auto& sc = *st.scope;
  auto now = std::chrono::steady_clock::now();
  sc.timer_due = no_deadline;
  if (now >= sc.deadline)
    return on_deadline(self);
  if (sends_heartbeats(self) && now - sc.last_output >= st.rt->limits.sse_heartbeat
      && sc.queued_bytes == 0) {
    sc.append(sse_comment("ping"));
    progress(self);
  }
  arm_timer(self);
}

/// Each handler first acquires what its sender released (actors/handoff.hpp: TSan only).
void received(writer_actor* self) {
  detail::handoff_acquire(self);
}

// The handlers capture only `self`: CAF keeps a copy of each per writer.
caf::behavior response_writer(writer_actor* self) {
  // Workers are linked: no monitor needed (~60 bytes per worker). The handler keeps the
  // writer alive whatever their exit reason — except `kill`, which CAF applies before it.
  self->set_exit_handler([self](caf::exit_msg& msg) { on_worker_exit(self, msg); });
  return {
    [=](request_atom, std::shared_ptr<const routed_request>& in) {
      received(self);
      on_request(self, in);
    },
    [=](write_done_atom, bool ok) {
      received(self);
      on_write_done(self, ok);
    },
    [=](chunk_atom, stream_id id, std::string& bytes) {
      received(self);
      on_chunk(self, id, bytes);
    },
    [=](write_atom, stream_id id, std::string& bytes) {
      received(self);
      return on_acked_write(self, id, bytes);
    },
    [=](event_atom, stream_id id, sse_event& ev) {
      received(self);
      return on_event(self, id, ev);
    },
    [=](fail_atom, stream_id id, worker_error& err) {
      received(self);
      on_fail(self, id, err);
    },
    [=](done_atom, stream_id id) {
      received(self);
      on_task_done(self, id);
    },
    [=](timer_atom) {
      received(self);
      on_timer(self);
    },
    [=](flush_atom) {
      self->state.flush_pending = false;
      if (self->state.scope)
        release_acks(self);
    },
    [=](closed_atom) {
      received(self);
      if (self->state.scope)
        self->state.rt->stats.client_disconnects_total.fetch_add(1, std::memory_order_relaxed);
      close_connection(self);
    },
    [=](shutdown_atom, bool hard) {
      received(self);
      // A drain lets the response under way finish (then the connection closes); a hard
      // stop, or a connection with nothing under way, ends now.
      self->state.draining = true;
      if (hard || !self->state.scope)
        close_connection(self);
    },
  };
}

} // namespace

caf::actor spawn_response_writer(caf::actor_system& sys, std::shared_ptr<connection> conn,
                                 std::shared_ptr<runtime> rt,
                                 caf::execution_unit* home) {
  return sys.spawn<writer_actor>(std::move(conn), std::move(rt), home);
}

} // namespace fastactor
