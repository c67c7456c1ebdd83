#include "actors/response_writer.hpp"

#include "actors/request_scope.hpp"
#include "actors/response_compression.hpp"
#include "actors/scope_table.hpp"
#include "protocol/access_log.hpp"
#include "protocol/chunked.hpp"
#include "protocol/error_report.hpp"
#include "protocol/response_head.hpp"
#include <fastactor/context.hpp>
#include <fastactor/detail/handoff.hpp>
#include <fastactor/errors.hpp>
#include <fastactor/ndjson.hpp>
#include <fastactor/sse.hpp>
#include <fastactor/status.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <limits>
#include <optional>
#include <typeinfo>

namespace fastactor {

namespace {

struct writer_state {
  std::shared_ptr<connection> conn;
  std::shared_ptr<runtime> rt;
  connection_key key = 0;  ///< what the connection's messages carry
  caf::actor_addr self;  ///< the writer's own address, for what its destructor sends
  /// The scopes' response bytes toward the server's total; published after each message
  /// (writer_actor::consume) and when the scopes are gone (declared before them, after rt).
  held_share held;
  scope_table scopes;  ///< the requests under way: one over HTTP/1.1, one per HTTP/2 stream
  /// A write completed at once (connection::write said so; only an HTTP/1.1 connection, with
  /// its one channel, does): handled as its completion message would be, once the message
  /// being handled is done (settle_writes).
  bool write_completed = false;
  channel_id completed_channel = 0;
  /// When the connection's one timer is armed for (the earliest of the scopes' wake-ups).
  std::chrono::steady_clock::time_point timer_due = no_deadline;
  bool draining = false;  ///< the server is stopping: finish the responses, then close
  /// A flush_atom is on its way: the batch of messages before it is handled, then its
  /// flow-controlled output is written and acknowledged (see defer_to_flush).
  bool flush_pending = false;
  /// A coded stream's input compressed since the writer last yielded, and whether its
  /// resume_atom is on its way (see must_yield).
  std::size_t coded_since_yield = 0;
  bool resume_pending = false;

  ~writer_state() {
    // However the writer ends, its requests' workers end with it: they are monitored, not
    // linked (a linked worker exiting with `kill` would take the writer down with it).
    // (Scopes left here: the writer was killed, or threw, with requests under way.)
    // A strong handle to the writer itself, made only when a shared producer must be told:
    // a writer without subscriptions ends exactly as before they existed.
    caf::actor writer;
    scopes.for_each([&](request_scope& sc) {
      for (auto& worker : sc.workers)
        caf::anon_send_exit(worker, caf::exit_reason::kill);
      for (auto& producer : sc.shared_producers) {  // they go on, and forget the response
        if (rt)
          rt->watches->remove(producer.address(), self);
        if (!writer)
          writer = caf::actor_cast<caf::actor>(self);  // null once nothing refers to it
        if (writer)  // anonymous, as end_subscriptions sends it
          caf::anon_send(producer, ended_atom::value,
                         response_handle{writer, sc.id, sc.finish_key});
      }
      sc.cancel_tasks();
      for (auto& rp : sc.waiting_acks)  // a blocking write_acked must not wait forever
        rp.deliver(make_error(errc::request_finished));
      if (rt)
        rt->counters.mine().end_stream();
    });
    if (conn)
      conn->close();
    if (rt)
      rt->stats.live_writers.fetch_sub(1, std::memory_order_relaxed);
  }

  static inline const char* name = "fastactor.response_writer";
};

class writer_actor;
caf::behavior response_writer();
void install_handlers(writer_actor* self);

/// The writer runs where its connection says: CAF resumes a scheduled actor through the
/// execution unit passed to `enqueue` and `launch`, so passing the connection's own unit for
/// every message — as caf::io::abstract_broker passes its multiplexer — keeps every resume
/// on the connection's thread, and declaring itself an I/O actor tells that unit which
/// resumable is the writer.
class writer_actor : public caf::stateful_actor<writer_state> {
public:
  using super = caf::stateful_actor<writer_state>;

  writer_actor(caf::actor_config& cfg, std::shared_ptr<connection> conn,
               std::shared_ptr<runtime> rt, std::shared_ptr<writer_home> home, connection_key key)
    : super(cfg), home_(std::move(home)) {
    state.conn = std::move(conn);
    state.rt = std::move(rt);
    state.held.bind(state.rt->stats.queued_response_bytes);
    state.key = key;
    state.self = address();
    state.rt->stats.live_writers.fetch_add(1, std::memory_order_relaxed);
  }

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit*) override {
    super::enqueue(std::move(ptr), home_.get());
  }

  void launch(caf::execution_unit*, bool lazy, bool hide) override {
    super::launch(home_.get(), lazy, hide);
  }

  subtype_t subtype() const override {
    return writer_subtype;  // runs on its home, never on the scheduler (writer_home.hpp)
  }

  /// Every writer has the same behavior: its handlers capture nothing and find their writer
  /// through current(), so one behavior, built once, serves them all. (A behavior whose
  /// handlers captured `self` would be built per writer: ~570 bytes held by every
  /// connection, a paced stream's included, and 13 handlers made per connection.)
  caf::behavior make_behavior() override {
    install_handlers(this);
    static const caf::behavior shared = response_writer();
    return shared;
  }

  /// The writer whose message is being handled on this thread; handlers run only inside
  /// consume, which sets it. (Nested turns of other writers on this thread restore it.)
  static writer_actor* current() { return current_; }

  caf::invoke_message_result consume(caf::mailbox_element& x) override {
    current_guard guard{this};
    published_guard publish{state.held};  // also when a handler throws
    if (consume_request(x))
      return caf::invoke_message_result::consumed;
    return super::consume(x);
  }

  writer_home& home() { return *home_; }

private:
  bool consume_request(caf::mailbox_element& x);

  struct current_guard {
    explicit current_guard(writer_actor* self) : outer(std::exchange(current_, self)) {}
    ~current_guard() { current_ = outer; }
    current_guard(const current_guard&) = delete;
    current_guard& operator=(const current_guard&) = delete;
    writer_actor* outer;
  };
  static thread_local writer_actor* current_;

  struct published_guard {
    explicit published_guard(held_share& share) : held(share) {}
    ~published_guard() { held.publish(); }
    published_guard(const published_guard&) = delete;
    published_guard& operator=(const published_guard&) = delete;
    held_share& held;
  };

  // Owned here, not by the connection: CAF hands the home a wake-up for as long as anyone
  // can send to the writer, and that can be after the writer quit and its connection went
  // (writer_home.hpp). The home refers to its connection's strand only weakly.
  std::shared_ptr<writer_home> home_;
};

void on_connection_request(writer_actor* self, connection_key key, channel_id ch,
                           std::shared_ptr<routed_request>& in);

/// The element the session makes for a request (run at once or sent: both are CAF's
/// make_mailbox_element types).
using request_element = caf::mailbox_element_vals<caf::atom_value, connection_key, channel_id,
                                                  std::shared_ptr<routed_request>>;

/// True if `x` is a request_atom with the connection's argument types. The element's own type
/// says so at once for the session's messages; any other element (a message that went through
/// a `caf::message`, a forgery) is matched element by element, at ~200 instructions.
bool holds_connection_request(caf::mailbox_element& x) {
  auto& content = x.content();
  if (content.size() != 4)
    return false;
  if (typeid(x) != typeid(request_element)
      && (content.type_nr(0) != caf::type_nr<caf::atom_value>::value
          || !content.match_elements<caf::atom_value, connection_key, channel_id,
                                     std::shared_ptr<routed_request>>()))
    return false;
  return content.get_as<caf::atom_value>(0) == request_atom::value;
}

/// The connection's request_atom, which every request brings, is handled here without CAF's
/// behavior: matching it against the behavior's cases, unpacking it and visiting the handler's
/// result cost ~900 instructions, a tenth of a /hello's (callgrind). Everything around stays
/// CAF's: activate and resume call this consume, catch the writer's exceptions and finalize
/// its quitting. What CAF's consume does first is kept: while a handler awaits a response
/// (`ctx.self()->request(...).await`), CAF's consume holds every other message back, so the
/// request is left to it then; a response and a system message never match here. The types are
/// checked before anything is read (anyone may send the writer anything), and the key after, as in
/// the behavior's case.
bool writer_actor::consume_request(caf::mailbox_element& x) {
  if (!x.mid.is_async() || !awaited_responses_.empty() || !holds_connection_request(x))
    return false;
  auto& content = x.content();
  current_element_ = &x;
  on_connection_request(this, content.get_as<connection_key>(1), content.get_as<channel_id>(2),
                        content.get_mutable_as<std::shared_ptr<routed_request>>(3));
  return true;
}

// -- the response head ------------------------------------------------------------------------

/// The head of the scope's response (the connection's codec renders it).
response_head make_head(const request_scope& sc, const runtime& rt, status code, framing how,
                        std::size_t content_length, bool keep_alive,
                        std::string_view content_type = {}) {
  return {code,
          rt.server_name,
          &sc.headers,
          content_type,
          how,
          content_length,
          connection_for(sc.version, keep_alive)};
}

// -- sending ----------------------------------------------------------------------------------

/// `held`: how much of the body the queue held (and the server's budget counted) until now;
/// the rest (an error report) was made for this write.
void start_write(writer_actor* self, request_scope& sc, outgoing out, write_kind kind,
                 std::size_t held) {
  auto& st = self->state;
  sc.write_in_flight = true;
  sc.last_kind = kind;
  sc.in_flight_bytes = held;
  if (sc.format == stream_format::sse)  // only heartbeats read it: no clock for the rest
    sc.last_output = std::chrono::steady_clock::now();
  auto& counts = st.rt->counters.mine();
  counts.add(counts.stream_bytes, out.body_bytes);
  sc.body_bytes += out.body_bytes;
  if (st.conn->write(sc.channel, std::move(out), kind)) {
    st.write_completed = true;
    st.completed_channel = sc.channel;
  }
}

/// Output that is dropped rather than sent — a response without a body, results past an
/// error report's cap — never waits for the client: its producers are acknowledged at once.
bool acks_at_once(const request_scope& sc) {
  return sc.discard_body || sc.capping_results;
}

/// True while the response bytes the whole server holds are over --response-memory-max.
bool server_over_budget(const writer_actor* self) {
  return self->state.held.server_bytes()
    > static_cast<std::int64_t>(self->state.rt->limits.response_memory_max);
}

/// What this response holds: its queue and its write in flight.
std::size_t held_bytes(const request_scope& sc) {
  return sc.queued_bytes + sc.in_flight_bytes;
}

/// Whether a flow-controlled producer may go on: its response's queue is below the
/// high-water mark — and, while the whole server is over --response-memory-max, so is what
/// the response holds with its write in flight: then the slow readers' producers wait for
/// their writes (whose completion acks them), not everybody's. Dropped output never waits.
bool may_ack(const writer_actor* self, const request_scope& sc) {
  auto mark = self->state.rt->limits.stream_buffer;
  return acks_at_once(sc)
    || (sc.queued_bytes < mark && (held_bytes(sc) < mark || !server_over_budget(self)));
}

/// Acknowledges flow-controlled writes once the queue is below the high-water mark.
void release_acks(writer_actor* self, request_scope& sc) {
  if (!may_ack(self, sc))
    return;
  for (auto& rp : sc.waiting_acks)
    rp.deliver(ack_atom::value);
  sc.waiting_acks.clear();
}

/// Moves the queue into `parts`.
std::size_t take_queue(request_scope& sc, std::vector<std::string>& parts) {
  auto bytes = sc.queued_bytes;
  if (bytes == 0)
    return 0;
  sc.take_queue(parts);
  return bytes;
}

/// What one write carries of the body: bytes on the wire (coded, framed), and how many of
/// the queue's bytes it took (still counted as held until the write is done).
struct body_out {
  std::size_t wire = 0;
  std::size_t held = 0;
};

/// Input bytes one write of a coded stream compresses (about 0.5 ms of gzip, 0.2 ms of zstd
/// here): the compressor runs on the I/O thread, so a coded stream goes out in slices, and its
/// writer yields the thread between them (must_yield).
constexpr std::size_t coded_write_max = 32 * 1024;

/// Moves the queue into `parts`. A coded response's queue goes through the compressor
/// instead, at most `max_coded` bytes of it (the rest stays queued), flushed — or ended if
/// `finish` and nothing is left. False if the compressor failed (the queue is left as it
/// was, the encoder is gone).
bool take_body(writer_actor* self, request_scope& sc, std::vector<std::string>& parts, bool finish,
               body_out& out, std::size_t max_coded = coded_write_max) {
  if (!sc.encoder) {
    out.wire = out.held = take_queue(sc, parts);
    return true;
  }
  if (sc.queued_bytes == 0 && !finish)
    return true;
  std::string coded;
  auto taken = compress_queue(sc, *self->state.rt, max_coded, finish, coded);
  if (!taken)
    return false;
  out.held = *taken;
  self->state.coded_since_yield += *taken;
  out.wire = coded.size();
  if (!coded.empty())
    parts.push_back(std::move(coded));
  return true;
}

/// A HEAD request, or a status that has no body: the head is the whole response.
bool bodyless(const request_scope& sc, status code) {
  return sc.head || !has_body(code);
}

bool keep_alive(const writer_actor* self, const request_scope& sc) {
  return sc.keep_alive_asked && !self->state.draining;
}

write_kind final_kind(bool keep) {
  return keep ? write_kind::last_keep_alive : write_kind::last_close;
}

/// Drops the handler's fields that describe a body the error report replaces (a coding the
/// report does not have, a validator of other bytes).
void forget_body_fields(request_scope& sc) {
  auto& h = sc.headers;
  h.erase(std::remove_if(h.begin(), h.end(),
                         [](const auto& field) {
                           return iequals(field.first, "content-encoding")
                             || iequals(field.first, "etag")
                             || iequals(field.first, "content-range");
                         }),
          h.end());
}

/// The response is complete before any byte went out: one write, Content-Length framing.
void send_whole(writer_actor* self, request_scope& sc) {
  auto& st = self->state;
  auto keep = keep_alive(self, sc);
  outgoing out;
  std::size_t held = 0;
  sc.sent_status = sc.errors.empty() ? sc.status : error_status(sc.errors);
  if (sc.errors.empty() && !has_body(sc.status)) {
    if (sc.status == status::not_modified)  // the fields a 200 would have had (RFC 9110 15.4.5)
      choose_coding(sc, *st.rt, std::nullopt, head_content_type(sc));
    add_coding_fields(sc, *st.rt);
    out.head = make_head(sc, *st.rt, sc.status, framing::none, 0, keep);
    sc.drop_queue();
  } else if (sc.errors.empty()) {
    // HEAD: the Content-Length GET would have had, counted while its body was dropped.
    auto length = sc.head ? sc.discarded_bytes : sc.queued_bytes;
    // (choose_coding leaves a small whole body alone: asked here, a /hello's type is not looked
    // up for it.)
    if (length >= st.rt->limits.compress_min_bytes)
      choose_coding(sc, *st.rt, length, head_content_type(sc));
    body_out body;
    constexpr auto whole = std::numeric_limits<std::size_t>::max();
    if (sc.encoder)  // if the compressor fails, the encoder is gone and the body goes plain
      take_body(self, sc, out.body, true, body, whole);
    if (sc.encoder)
      length = body.wire;
    add_coding_fields(sc, *st.rt);
    if (!sc.encoder)
      body.wire = body.held = take_queue(sc, out.body);
    out.head = make_head(sc, *st.rt, sc.status, framing::content_length, length, keep);
    out.body_bytes = body.wire;
    held = body.held;
  } else {
    sc.cap_results();
    auto body =
      error_report_json(sc.errors, sc.queue, {sc.errors_dropped, sc.results_dropped_bytes});
    sc.drop_queue();
    forget_body_fields(sc);  // the report replaces the handler's body: and what described it
    choose_coding(sc, *st.rt, body.size(), "application/json");
    if (sc.encoder) {
      std::string coded;
      if (compress_text(sc, *st.rt, body, coded))
        body = std::move(coded);
    }
    add_coding_fields(sc, *st.rt);
    out.head = make_head(sc, *st.rt, error_status(sc.errors), framing::content_length, body.size(),
                         keep, "application/json");
    if (!sc.head) {
      out.body_bytes = body.size();
      out.body.push_back(std::move(body));
    }
  }
  sc.phase = response_phase::finishing;
  start_write(self, sc, std::move(out), final_kind(keep), held);
}

// -- the timer --------------------------------------------------------------------------------

// The writer's timers — each request's deadline and SSE heartbeat — share its connection's
// one Asio timer: the writer arms it for whichever is due first and looks at the clock when
// `timer_atom` arrives (a late or stale one does no harm). Not CAF timeouts: each costs a
// wake-up of CAF's clock thread, about 400 bytes per streaming request, and a delayed_send
// cannot even be cancelled in CAF 0.17 (it pinned closed connections' writers for the whole
// 60 s deadline).

bool sends_heartbeats(const writer_actor* self, const request_scope& sc) {
  return sc.format == stream_format::sse && sc.phase == response_phase::streaming
    && self->state.rt->limits.sse_heartbeat.count() > 0;
}

/// Makes the connection's timer go off at `due` at the latest.
void wake_by(writer_actor* self, std::chrono::steady_clock::time_point due) {
  auto& st = self->state;
  if (due < st.timer_due) {  // an earlier wake-up also sees what is due later
    st.timer_due = due;
    st.conn->set_timer(due);
  }
}

/// Arms the timer for the scope's deadline or its next heartbeat, whichever is first.
void arm_timer(writer_actor* self, request_scope& sc) {
  auto now = std::chrono::steady_clock::now();
  auto due = sc.deadline;
  if (sends_heartbeats(self, sc)) {
    auto beat = sc.last_output + self->state.rt->limits.sse_heartbeat;
    due = std::min(due, beat > now ? beat : now + self->state.rt->limits.sse_heartbeat);
  }
  sc.timer_due = std::min(sc.timer_due, due);
  wake_by(self, sc.timer_due);
}

/// A response without a body whose producers still run: the head is all GET's client would
/// see before the body, so it is the whole answer; the producers are stopped once it is out.
void send_head_only(writer_actor* self, request_scope& sc) {
  auto& st = self->state;
  bool http10 = sc.version == 10;
  auto how = !has_body(sc.status) ? framing::none
    : http10                      ? framing::until_close
                                  : framing::chunked;
  auto keep = keep_alive(self, sc) && (how != framing::until_close || sc.head);
  if (has_body(sc.status))  // HEAD: the fields GET would have had (not coded: RFC 9110 9.3.2)
    choose_coding(sc, *st.rt, std::nullopt, head_content_type(sc));
  add_coding_fields(sc, *st.rt);
  sc.drop_queue();
  sc.phase = response_phase::finishing;
  sc.sent_status = sc.status;
  outgoing out;
  out.head = make_head(sc, *st.rt, sc.status, how, 0, keep);
  start_write(self, sc, std::move(out), final_kind(keep), 0);
}

/// First bytes of a response whose producers still run: head plus what is queued.
void start_streaming(writer_actor* self, request_scope& sc) {
  auto& st = self->state;
  if (bodyless(sc, sc.status))
    return send_head_only(self, sc);
  bool http10 = sc.version == 10;  // no chunked coding: the body ends with the connection
  choose_coding(sc, *st.rt, std::nullopt, head_content_type(sc));
  outgoing out;
  body_out body;
  if (!take_body(self, sc, out.body, false, body))  // nothing sent yet: go on plain
    take_body(self, sc, out.body, false, body);
  add_coding_fields(sc, *st.rt);
  out.head = make_head(sc, *st.rt, sc.status, http10 ? framing::until_close : framing::chunked, 0,
                       !http10 && keep_alive(self, sc));
  out.body_bytes = body.wire;
  sc.phase = response_phase::streaming;
  sc.sent_status = sc.status;
  start_write(self, sc, std::move(out), write_kind::more, body.held);
  // The head is out (the connection used its views before write returned), and streaming
  // begins only once the handler returned (progress runs after it).
  sc.release_spent_fields(st.rt->limits.access_log);
  if (sends_heartbeats(self, sc))
    arm_timer(self, sc);
}

name_value_list error_trailer(const request_scope& sc);
void compressor_failed(writer_actor* self, request_scope& sc);

/// Every producer is done: the queued rest, the end of the body and the error trailer.
void finish_stream(writer_actor* self, request_scope& sc) {
  bool http10 = sc.version == 10;
  outgoing out;
  body_out body;
  if (!take_body(self, sc, out.body, true, body))
    return compressor_failed(self, sc);
  out.body_bytes = body.wire;
  out.ends_body = true;
  if (!http10)
    out.trailers = error_trailer(sc);
  sc.phase = response_phase::finishing;
  start_write(self, sc, std::move(out), final_kind(!http10 && keep_alive(self, sc)), body.held);
}

/// The trailer fields: the errors (as many as fit a size every client accepts) and how many
/// were left out.
name_value_list error_trailer(const request_scope& sc) {
  constexpr std::size_t trailer_max = 8 * 1024;
  std::size_t left_out = 0;
  name_value_list trailer;
  trailer.emplace_back("Fastactor-Errors", error_list_json(sc.errors, trailer_max, left_out));
  if (auto dropped = left_out + sc.errors_dropped)
    trailer.emplace_back("Fastactor-Errors-Dropped", std::to_string(dropped));
  return trailer;
}

/// Called whenever a response is found open, first right after its handler returned: that
/// first time is when its deadline and an event stream's heartbeats start to count.
void arm_deadline(writer_actor* self, request_scope& sc) {
  if (sc.started == std::chrono::steady_clock::time_point{})
    sc.started = sc.last_output = std::chrono::steady_clock::now();
  auto timeout = self->state.rt->limits.request_timeout;
  if (sc.deadline != no_deadline || timeout.count() <= 0)
    return;
  sc.deadline = sc.started + timeout;
  arm_timer(self, sc);
}

/// An error before the first byte makes the response an error report. In an event stream
/// (SSE, NDJSON) only the handler's own errors do: producers' errors travel in-band.
bool must_report_errors(const request_scope& sc) {
  return sc.format == stream_format::plain ? !sc.errors.empty() : sc.handler_errors > 0;
}

/// After a slice of a coded stream, the writer lets the other connections on its I/O thread
/// have a turn before it compresses more: it goes on when its own resume_atom arrives, sent
/// from a handler posted behind theirs (a message sent now would be handled in this turn).
bool must_yield(writer_actor* self) {
  auto& st = self->state;
  if (st.coded_since_yield < coded_write_max)
    return false;
  if (!st.resume_pending) {
    st.resume_pending = true;
    self->home().after_others([writer = caf::actor_cast<caf::actor>(self)] {
      caf::send_as(writer, writer, resume_atom::value);
    });
  }
  return true;
}

void end_subscriptions(writer_actor* self, request_scope& sc);

/// Moves a response forward after anything changed. The one place that decides what to
/// send next.
void progress(writer_actor* self, request_scope& sc) {
  auto& st = self->state;
  if (sc.write_in_flight)
    return;
  switch (sc.phase) {
    case response_phase::open:
      // An error report does not wait for shared producers: they finish when they like (a
      // chat room never), so they are told now that this response ended.
      if (!sc.shared_producers.empty() && must_report_errors(sc))
        end_subscriptions(self, sc);
      if (sc.complete())
        return send_whole(self, sc);
      arm_deadline(self, sc);
      if (must_report_errors(sc)) {
        sc.mode = response_mode::buffer;
        sc.capping_results = true;
        release_acks(self, sc);
        return;
      }
      // A buffered response that outgrows the buffer goes out chunked instead of failing:
      // its producers keep their flow control.
      // (HEAD counts what GET would have queued, so that it answers with GET's framing.)
      if (sc.mode == response_mode::buffer
          && sc.queued_bytes + sc.discarded_bytes >= st.rt->limits.stream_buffer)
        return start_streaming(self, sc);
      // Event streams open at once, so that a browser sees the connection before any event.
      if (sc.mode == response_mode::stream && sc.handler_returned
          && (sc.queued_bytes > 0 || sc.discarded_bytes > 0 || sc.format != stream_format::plain))
        return start_streaming(self, sc);
      return;
    case response_phase::streaming:
      if (sc.complete() && (!sc.encoder || sc.queued_bytes <= coded_write_max))
        return finish_stream(self, sc);
      if (sc.queued_bytes > 0) {
        if (sc.encoder && must_yield(self))
          return;
        outgoing out;
        body_out body;
        if (!take_body(self, sc, out.body, false, body))
          return compressor_failed(self, sc);
        out.body_bytes = body.wire;
        start_write(self, sc, std::move(out), write_kind::more, body.held);
        release_acks(self, sc);
      }
      return;
    case response_phase::finishing: return;
  }
}

/// Moves every response forward (after the writer's own yield ended).
void progress_all(writer_actor* self) {
  for (auto id : self->state.scopes.ids())
    if (auto* sc = self->state.scopes.find(id))
      progress(self, *sc);
}

// -- ending -----------------------------------------------------------------------------------

/// Counts the finished request and writes its access-log line. A request that ended before
/// its last byte went out is logged as 499 (nginx's "client closed request").
void account(writer_actor* self, const request_scope& sc, bool completed) {
  auto& counts = self->state.rt->counters.mine();
  auto sent = completed && sc.sent_status ? *sc.sent_status : status::client_closed_request;
  auto index = code(sent) < counts.responses_by_status.size() ? code(sent) : 0;
  auto elapsed = std::chrono::steady_clock::now() - sc.arrived;
  counts.responded(index, elapsed);
  if (!self->state.rt->limits.access_log)
    return;
  access_log_entry entry;
  entry.peer = sc.log_peer();
  entry.method = sc.log_method();
  entry.target = sc.log_target();
  entry.version = sc.version;
  entry.sent = sent;
  entry.body_bytes = sc.body_bytes;
  entry.duration = std::chrono::duration_cast<std::chrono::microseconds>(elapsed);
  write_access_log(entry);
}

/// A response of the writer no longer holds shared producer `who` (already removed from it).
void release_shared_producer(writer_actor* self, const caf::actor& who) {
  self->state.rt->watches->remove(who.address(), self->address());
}

/// Tells a response's shared producers that it ended without them, and lets them go.
void end_subscriptions(writer_actor* self, request_scope& sc) {
  auto shared = std::move(sc.shared_producers);
  sc.shared_producers.clear();
  for (auto& producer : shared) {
    // Anonymous: a producer's answer (a bounce, without an ended_atom handler; a reply, with
    // a handler that returns something) has nowhere to go. Sent in the writer's name, a
    // reply would bounce back to the producer as an error, and end it.
    caf::anon_send(producer, ended_atom::value,
                   response_handle{caf::actor_cast<caf::actor>(self), sc.id, sc.finish_key});
    release_shared_producer(self, producer);
  }
}

/// Stops a request's workers and tasks, and tells its shared producers that it ended.
/// `kill`: a worker may install an exit handler that ignores other reasons, and must still
/// stop.
void stop_producers(writer_actor* self, request_scope& sc) {
  sc.running_tasks = 0;
  // Most responses had no producer: nothing to stop (~40 instructions of a /hello).
  if (sc.workers.empty() && sc.shared_producers.empty() && !sc.cancelled)
    return;
  for (auto& worker : sc.workers) {
    self->demonitor(worker);
    self->send_exit(worker, caf::exit_reason::kill);
  }
  sc.workers.clear();
  end_subscriptions(self, sc);
  sc.cancel_tasks();
}

/// Ends a request scope: stops its workers and tasks, refuses pending acks, forgets it (and
/// `sc` with it). `completed`: its last byte went out.
void end_scope(writer_actor* self, request_scope& sc, bool completed = false) {
  auto& st = self->state;
  account(self, sc, completed);
  stop_producers(self, sc);
  for (auto& rp : sc.waiting_acks)
    rp.deliver(make_error(errc::request_finished));
  st.rt->counters.mine().end_stream();
  auto channel = sc.channel;
  auto in = std::move(sc.in);
  st.scopes.erase(sc);  // its write in flight, if any, is no longer held either
  if (st.scopes.empty() && st.timer_due != no_deadline) {
    st.conn->cancel_timer();
    st.timer_due = no_deadline;
  }
  if (in)  // (a response that outlived its handler let its request go already)
    st.conn->request_done(channel, std::move(in));
}

/// The connection is finished (peer gone, cut-off, shutdown): end everything, close, quit.
void close_connection(writer_actor* self) {
  auto& st = self->state;
  for (auto id : st.scopes.ids())
    if (auto* sc = st.scopes.find(id))
      end_scope(self, *sc);
  st.conn->close();
  self->quit(make_error(errc::connection_closed));
}

/// Ends a response that began streaming without its end, so that the client cannot take what
/// it got for the whole body. Over HTTP/1.1 that costs the connection; over HTTP/2, only the
/// stream (RST_STREAM): the connection's other responses go on.
void cut_off(writer_actor* self, request_scope& sc) {
  auto& st = self->state;
  if (!st.conn->multiplexed())
    return close_connection(self);
  st.conn->reset(sc.channel);
  end_scope(self, sc);
}

/// An error that ends the request at once (deadline, overflow). Before the first byte the
/// client still gets an error report; after it, a cut-off.
void fail_fatally(writer_actor* self, request_scope& sc, worker_error err) {
  auto& st = self->state;
  sc.add_error(std::move(err));
  st.rt->stats.worker_errors_total.fetch_add(1, std::memory_order_relaxed);
  if (sc.phase == response_phase::streaming)
    return cut_off(self, sc);
  // Stop the producers now; the error report goes out once no write is in flight.
  stop_producers(self, sc);
  sc.handler_returned = true;
  progress(self, sc);
}

/// The compressor failed after the head went out (its memory cap): the coded stream cannot
/// go on, and a client must not take what it got for the whole body.
void compressor_failed(writer_actor* self, request_scope& sc) {
  sc.add_error({"server", "the response's compressor failed (compress-memory-max)",
                status::internal_server_error});
  self->state.rt->stats.worker_errors_total.fetch_add(1, std::memory_order_relaxed);
  cut_off(self, sc);
}

// -- message handlers -------------------------------------------------------------------------

/// Records a producer's error; event streams also carry it in-band.
void record_error(writer_actor* self, request_scope& sc, worker_error err) {
  self->state.rt->stats.worker_errors_total.fetch_add(1, std::memory_order_relaxed);
  request_scope::bound(err);  // the in-band copy says what the report will say
  if (sc.format == stream_format::sse)
    sc.append_event(sse_event{"error", error_object_json(err), {}, -1});
  else if (sc.format == stream_format::ndjson)
    sc.append(ndjson_error_line(err));
  sc.add_error(std::move(err));
}

/// The scope a message tagged `id` may still change, or null (the message is stale).
request_scope* live_scope(writer_actor* self, stream_id id) {
  auto& st = self->state;
  if (auto* sc = st.scopes.find(id); sc && sc->phase != response_phase::finishing)
    return sc;
  st.rt->stats.stale_messages_total.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void run_handler(writer_actor* self, request_scope& sc) {
  auto& st = self->state;
  // HEAD runs GET's handler and answers with GET's head; the body is counted, not kept.
  sc.discard_body = sc.head;
  context ctx{self, sc, *st.rt};
  try {
    (*sc.in->fn)(ctx);
  } catch (...) {
    st.rt->stats.worker_errors_total.fetch_add(1, std::memory_order_relaxed);
    ctx.fail(worker_error{"handler", "threw: " + detail::what(std::current_exception()),
                          status::internal_server_error});
  }
  sc.handler_returned = true;
  sc.handler_errors = sc.error_count();
}

void on_request(writer_actor* self, channel_id ch, std::shared_ptr<routed_request>& in) {
  auto& st = self->state;
  // An HTTP/1.1 session reads the next request only after the last write, and a channel
  // answers one request: anything else is the connection's bug.
  if (st.conn->multiplexed() ? st.scopes.on_channel(ch) != nullptr : !st.scopes.empty())
    return close_connection(self);
  auto& counts = st.rt->counters.mine();
  counts.add(counts.requests, 1);
  counts.begin_stream();
  auto& sc = st.scopes.emplace(st.rt->next_stream_id(), ch, std::move(in), st.held);
  run_handler(self, sc);
  progress(self, sc);
}

/// After a response's last write: an HTTP/1.1 connection closes if the response said so or
/// the server is stopping; an HTTP/2 connection once the server is stopping and no response
/// is left.
bool closes_after(const writer_actor* self, write_kind last) {
  auto& st = self->state;
  if (st.conn->multiplexed())
    return st.draining && st.scopes.empty();
  return last == write_kind::last_close || st.draining;
}

void on_write_done(writer_actor* self, channel_id ch, bool ok) {
  auto& st = self->state;
  if (!ok) {
    st.rt->stats.client_disconnects_total.fetch_add(1, std::memory_order_relaxed);
    return close_connection(self);
  }
  auto* sc = st.scopes.on_channel(ch);
  if (!sc || !sc->write_in_flight)
    return;  // the write of a stream that was reset meanwhile
  sc->release_in_flight();
  if (sc->phase == response_phase::finishing) {
    auto last = sc->last_kind;
    end_scope(self, *sc, true);
    if (closes_after(self, last))
      close_connection(self);
    return;
  }
  release_acks(self, *sc);
  progress(self, *sc);
}

/// A write that completed at once is completed here, after the message that started it — not
/// inside it: the code that started the write may still use the request scope. Its
/// completion may start (and complete) the next write.
void settle_writes(writer_actor* self) {
  while (std::exchange(self->state.write_completed, false))
    on_write_done(self, self->state.completed_channel, true);
}

/// How a producer sent its output: with flow control (it waits for acks) or without.
enum class paced { yes, no };

/// Makes sure the flush comes after the messages already in the mailbox.
void schedule_flush(writer_actor* self) {
  if (!std::exchange(self->state.flush_pending, true))
    self->send(self, flush_atom::value);
}

/// A flow-controlled producer sends a window of writes at once (the demo's 1 GiB stream:
/// 16 of 16 KiB). Written one by one, each would cost a send; waiting for the flush, which
/// follows the batch of messages already here, writes them together. Up to the high-water
/// mark: a write that takes the queue there goes out at once, with what waited before it, so
/// a batch never holds more than an unflushed queue may (and never nears stream-buffer-max,
/// which fails the response). Output without flow control, and a response not yet
/// streaming, move on at once.
bool defer_to_flush(writer_actor* self, const request_scope& sc, paced how) {
  if (how != paced::yes || sc.phase != response_phase::streaming || sc.write_in_flight
      || sc.queued_bytes >= self->state.rt->limits.stream_buffer)
    return false;
  schedule_flush(self);
  return true;
}

/// After output was queued: past the per-response cap — or, for a producer that ignores
/// flow control, past the server-wide budget — the response fails; else it moves on.
void after_append(writer_actor* self, request_scope& sc, paced how) {
  auto& lim = self->state.rt->limits;
  if (sc.queued_bytes > lim.stream_buffer_max)
    return fail_fatally(self, sc,
                        {"server",
                         "response buffer passed stream-buffer-max ("
                           + std::to_string(lim.stream_buffer_max)
                           + " bytes): producers outran the client",
                         status::internal_server_error});
  // Over the server's budget, a producer that ignores flow control fails its response if
  // that response holds more than its share (the high-water mark): a small response is not
  // failed for what others hold.
  if (how == paced::no && server_over_budget(self) && held_bytes(sc) > lim.stream_buffer)
    return fail_fatally(self, sc,
                        {"server",
                         "the server's response memory (response-memory-max, "
                           + std::to_string(lim.response_memory_max)
                           + " bytes) is used up, and this response's producers ignore "
                             "flow control",
                         status::service_unavailable});
  if (defer_to_flush(self, sc, how))
    return;
  progress(self, sc);
}

void on_chunk(writer_actor* self, stream_id id, std::string& bytes, paced how = paced::no) {
  if (auto* sc = live_scope(self, id)) {
    sc->append(std::move(bytes));
    after_append(self, *sc, how);
  }
}

/// The reply to a flow-controlled write: now if the queue is below the high-water mark (or
/// the response is buffered), else when a write has drained it.
caf::result<ack_atom> ack_when_below_mark(writer_actor* self, stream_id id) {
  auto& st = self->state;
  auto rp = self->make_response_promise<ack_atom>();
  auto* sc = st.scopes.find(id);
  if (!sc)
    rp.deliver(make_error(errc::request_finished));
  else if (may_ack(self, *sc)) {
    sc->waiting_acks.emplace_back(rp);
    schedule_flush(self);
  } else {
    st.rt->stats.backpressure_waits_total.fetch_add(1, std::memory_order_relaxed);
    sc->waiting_acks.emplace_back(rp);
  }
  return rp;
}

/// A flow-controlled write. Sent, not requested (write_atom through a plain send), it is a
/// chunk: an ack would reach the sender as an ordinary message it may not handle, and its
/// bounce as an error.
caf::result<ack_atom> on_acked_write(writer_actor* self, stream_id id, std::string& bytes) {
  if (!self->current_mailbox_element()->mid.is_request()) {
    on_chunk(self, id, bytes);
    return caf::delegated<ack_atom>{};
  }
  if (!live_scope(self, id))
    return make_error(errc::request_finished);
  on_chunk(self, id, bytes, paced::yes);
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
  after_append(self, *sc, is_request ? paced::yes : paced::no);
  if (!is_request)
    return caf::delegated<ack_atom>{};
  return ack_when_below_mark(self, id);
}

void on_fail(writer_actor* self, stream_id id, worker_error& err) {
  if (auto* sc = live_scope(self, id)) {
    record_error(self, *sc, std::move(err));
    progress(self, *sc);
  }
}

/// A blocking task is done. Only a task of the current request may say so, with the key its
/// wrapper was given: anything else is forged (or a late one of an ended request: stale).
void on_task_done(writer_actor* self, stream_id id, std::uint64_t token) {
  auto& st = self->state;
  auto* sc = live_scope(self, id);
  if (!sc)
    return;
  if (token != sc->task_key || sc->running_tasks == 0) {
    st.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  --sc->running_tasks;
  progress(self, *sc);
}

/// A shared producer ended (producer_watches; only its message has the server's token): every
/// response still subscribed to it loses it (an error unless it exited normally) and moves on;
/// one that nothing else feeds completes.
void on_producer_ended(writer_actor* self, const caf::actor_addr& producer,
                       const caf::error& reason, std::uint64_t token) {
  auto& st = self->state;
  if (token != st.rt->watches->token()) {
    st.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  for (auto id : st.scopes.ids()) {  // by id: progress may end a scope
    auto* sc = st.scopes.find(id);
    if (!sc || !sc->remove_shared_producer(producer))
      continue;
    if (reason && reason != caf::exit_reason::normal)
      record_error(self, *sc,
                   {"producer " + std::to_string(producer.id()), "exited: " + describe(reason),
                    status::internal_server_error});
    progress(self, *sc);
  }
}

/// A shared producer is done with response `id`. Only with the subscription's key (in the
/// handle context::subscribe returned: CAF 0.17's send_as lets anybody send in the producer's
/// name) and from a producer the response is subscribed to; anything else is counted as forged
/// (it would end a response that is still fed).
void on_finish(writer_actor* self, stream_id id, std::uint64_t key) {
  auto* sc = live_scope(self, id);
  if (!sc)
    return;
  auto sender = caf::actor_cast<caf::actor>(self->current_sender());
  if (key == 0 || key != sc->finish_key || !sender
      || !sc->remove_shared_producer(sender.address())) {
    self->state.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  release_shared_producer(self, sender);
  progress(self, *sc);
}

/// A monitored worker ended: normally (done) or not (an error of its request, whatever the
/// reason — `kill` included; the writer and the connection go on).
void on_worker_down(writer_actor* self, caf::down_msg& msg) {
  auto& st = self->state;
  // CAF sends a real down message in the name of the actor that ended; one in anybody
  // else's name is forged (it would end a request while its worker runs on).
  if (self->current_sender() != msg.source) {
    st.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  request_scope* owner = nullptr;
  st.scopes.for_each([&](request_scope& sc) {
    if (!owner && sc.remove_worker(msg.source))
      owner = &sc;
  });
  if (!owner)
    return;  // a worker of an ended request, stopped on purpose
  auto& reason = msg.reason;
  if (reason && reason != caf::exit_reason::normal && !is(reason, errc::worker_failed))
    record_error(self, *owner,
                 {"worker " + std::to_string(msg.source.id()), "exited: " + describe(reason),
                  status::internal_server_error});
  progress(self, *owner);
}

/// Nobody is linked to the writer, so an exit message is somebody's attempt to end it: the
/// writer belongs to its connection, and only `kill` (which CAF applies before any handler)
/// can stop it from outside.
void on_exit_message(writer_actor* self, caf::exit_msg&) {
  self->state.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
}

void on_deadline(writer_actor* self, request_scope& sc) {
  auto& st = self->state;
  st.rt->stats.deadlines_total.fetch_add(1, std::memory_order_relaxed);
  fail_fatally(self, sc,
               {"server",
                "request deadline of " + std::to_string(st.rt->limits.request_timeout.count())
                  + " ms exceeded",
                status::service_unavailable});
}

/// One response's wake-up: its deadline, or time to keep an idle SSE stream open through
/// proxies that cut silent connections.
void on_scope_timer(writer_actor* self, stream_id id, std::chrono::steady_clock::time_point now) {
  auto& st = self->state;
  auto* sc = st.scopes.find(id);
  if (!sc || sc->phase == response_phase::finishing || sc->timer_due == no_deadline)
    return;
  if (sc->timer_due > now)  // not yet: the timer went off for another response
    return wake_by(self, sc->timer_due);
  sc->timer_due = no_deadline;
  if (now >= sc->deadline)
    return on_deadline(self, *sc);
  if (sends_heartbeats(self, *sc) && now - sc->last_output >= st.rt->limits.sse_heartbeat
      && sc->queued_bytes == 0) {
    sc->append(sse_comment("ping"));
    progress(self, *sc);
    sc = st.scopes.find(id);  // a coded stream's compressor may have failed on it
  }
  if (sc)
    arm_timer(self, *sc);
}

/// The connection's timer went off (or a stale wake-up of it arrived): every response that is
/// due has its turn, and the timer is armed again for the next.
void on_timer(writer_actor* self) {
  auto& st = self->state;
  st.timer_due = no_deadline;
  auto now = std::chrono::steady_clock::now();
  for (auto id : st.scopes.ids())
    on_scope_timer(self, id, now);
}

/// Each handler first acquires what its sender released (include/fastactor/detail/handoff.hpp: TSan
/// only).
void received(writer_actor* self) {
  detail::handoff_acquire(self);
}

/// A message of the connection's (see connection_key): true if it really is one.
bool from_connection(writer_actor* self, connection_key key) {
  received(self);
  if (key == self->state.key)
    return true;
  self->state.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
  return false;
}

thread_local writer_actor* writer_actor::current_ = nullptr;

void count_unexpected(writer_actor* self) {
  self->state.rt->stats.unexpected_messages_total.fetch_add(1, std::memory_order_relaxed);
}

/// The per-writer part of its behavior: CAF keeps these handlers in the actor (no allocation:
/// a captured pointer fits in std::function's own storage).
void install_handlers(writer_actor* self) {
  // Workers are monitored, not linked: a worker's end, `kill` included, is an error of its
  // request only. Their stop is explicit (stop_producers, ~writer_state).
  self->set_down_handler([self](caf::down_msg& msg) {
    on_worker_down(self, msg);
    settle_writes(self);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit_message(self, msg); });
  // Anyone holding a response's handle (another node's actors too) can send the writer
  // anything. CAF's defaults would print an ill-typed message in full (to stdout, with the
  // access log) and end the writer, and its connection with every stream on it, on any
  // error. An error here is somebody's bounce of what the writer sent (a producer without an
  // ended_atom handler), or a handler's own request that failed without an error handler:
  // neither is worth a connection.
  self->set_error_handler([self](caf::error&) { count_unexpected(self); });
  self->set_default_handler(
    [self](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
      count_unexpected(self);
      // A requester learns at once, as from CAF's default. A plain message gets no answer:
      // CAF would send an error as an ordinary message, and the sender's default error
      // handler would end it (a shared producer, with every response it feeds).
      if (self->current_message_id().is_request())
        return caf::sec::unexpected_message;
      return caf::make_message();  // no reply is sent for an empty one
    });
}

/// The connection's request (writer_actor::consume_request, or the behavior's case).
void on_connection_request(writer_actor* self, connection_key key, channel_id ch,
                           std::shared_ptr<routed_request>& in) {
  if (from_connection(self, key))
    on_request(self, ch, in);
  settle_writes(self);
}

/// The behavior every writer shares (writer_actor::make_behavior). Each handler ends by
/// settling a write that completed at once while it ran.
caf::behavior response_writer() {
  return {
    [](request_atom, connection_key key, channel_id ch, std::shared_ptr<routed_request>& in) {
      // (Taken by writer_actor::consume_request before it gets here.)
      on_connection_request(writer_actor::current(), key, ch, in);
    },
    [](write_done_atom, connection_key key, channel_id ch, bool ok) {
      auto* self = writer_actor::current();
      if (from_connection(self, key))
        on_write_done(self, ch, ok);
      settle_writes(self);
    },
    [](reset_atom, connection_key key, channel_id ch) {
      auto* self = writer_actor::current();
      if (!from_connection(self, key))
        return;
      if (auto* sc = self->state.scopes.on_channel(ch))
        end_scope(self, *sc);
      settle_writes(self);
    },
    [](timer_atom, connection_key key) {
      auto* self = writer_actor::current();
      if (from_connection(self, key))
        on_timer(self);
      settle_writes(self);
    },
    [](closed_atom, connection_key key) {
      auto* self = writer_actor::current();
      if (!from_connection(self, key))
        return;
      if (!self->state.scopes.empty())
        self->state.rt->stats.client_disconnects_total.fetch_add(1, std::memory_order_relaxed);
      close_connection(self);
    },
    [](shutdown_atom, connection_key key, bool hard) {
      auto* self = writer_actor::current();
      if (!from_connection(self, key))
        return;
      // A drain lets the responses under way finish (then the connection closes); a hard
      // stop, or a connection with nothing under way, ends now.
      self->state.draining = true;
      if (hard || self->state.scopes.empty())
        close_connection(self);
    },
    [](chunk_atom, stream_id id, std::string& bytes) {
      auto* self = writer_actor::current();
      received(self);
      on_chunk(self, id, bytes);
      settle_writes(self);
    },
    [](write_atom, stream_id id, std::string& bytes) {
      auto* self = writer_actor::current();
      received(self);
      auto result = on_acked_write(self, id, bytes);
      settle_writes(self);
      return result;
    },
    [](event_atom, stream_id id, sse_event& ev) {
      auto* self = writer_actor::current();
      received(self);
      auto result = on_event(self, id, ev);
      settle_writes(self);
      return result;
    },
    [](fail_atom, stream_id id, worker_error& err) {
      auto* self = writer_actor::current();
      received(self);
      on_fail(self, id, err);
      settle_writes(self);
    },
    [](producer_ended_atom, const caf::actor_addr& producer, const caf::error& reason,
       std::uint64_t token) {
      auto* self = writer_actor::current();
      received(self);
      on_producer_ended(self, producer, reason, token);
      settle_writes(self);
    },
    [](finish_atom, stream_id id, std::uint64_t key) {
      auto* self = writer_actor::current();
      received(self);
      on_finish(self, id, key);
      settle_writes(self);
    },
    [](done_atom, stream_id id, std::uint64_t token) {
      auto* self = writer_actor::current();
      received(self);
      on_task_done(self, id, token);
      settle_writes(self);
    },
    [](resume_atom) {
      auto* self = writer_actor::current();
      if (self->current_sender() != self->ctrl()) {  // only the writer's own
        self->state.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      self->state.resume_pending = false;
      self->state.coded_since_yield = 0;
      progress_all(self);
      settle_writes(self);
    },
    [](flush_atom) {
      auto* self = writer_actor::current();
      if (self->current_sender() != self->ctrl()) {  // only the writer's own
        self->state.rt->stats.forged_messages_total.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      self->state.flush_pending = false;
      // By id, as progress_all: progress may end a scope (a compressor that fails cuts its
      // response off).
      for (auto id : self->state.scopes.ids()) {
        if (auto* sc = self->state.scopes.find(id))
          progress(self, *sc);  // what defer_to_flush held back
        if (auto* sc = self->state.scopes.find(id))
          release_acks(self, *sc);
      }
      settle_writes(self);
    },
  };
}

}  // namespace

caf::actor spawn_response_writer(caf::actor_system& sys, std::shared_ptr<connection> conn,
                                 std::shared_ptr<runtime> rt, std::shared_ptr<writer_home> home,
                                 connection_key key) {
  // Lazy: the writer starts with its first message, not with a resume posted at spawn. That
  // message is most often the connection's first request, sent from the session's turn, so
  // the writer starts and answers it there and then (strand_execution_unit::exec_later), as
  // it answers every later request, instead of one pass of the event loop later with the
  // connection's watch armed meanwhile.
  return sys.spawn<writer_actor, caf::lazy_init>(std::move(conn), std::move(rt), std::move(home),
                                                 key);
}

}  // namespace fastactor
