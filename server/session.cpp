#include "server/session.hpp"

#include "actors/response_writer.hpp"
#include "protocol/release_memory.hpp"
#include "protocol/response_head.hpp"
#include "protocol/spare_parts.hpp"
#include "server/bind_self.hpp"
#include "server/lingering_close.hpp"
#include "server/request_reuse.hpp"
#include "server/session_registry.hpp"
#include <fastactor/detail/handoff.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/assert.hpp>
#include <boost/container/small_vector.hpp>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/url/parse.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <sys/socket.h>
#include <utility>

namespace fastactor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

/// The client itself asked to close: `Connection: close`, or HTTP/1.0 without keep-alive.
/// Not when the server forced the close: an HTTP/1.0 message with Transfer-Encoding has faulty
/// framing (RFC 9112 6.1), and its sender may still be sending what it meant as its body.
bool asked_to_close(const request& req) {
  return !req.keep_alive && !(req.version < 11 && req.header("Transfer-Encoding"));
}

/// How long a read may go on after its deadline cancelled it (see on_read_deadline).
constexpr auto read_deadline_grace = std::chrono::seconds(1);

/// The most one partial write offers the socket, for a write that waits for the client.
constexpr std::size_t partial_write_max = 64 * 1024;

/// Responses to pipelined requests held back for one write: at most this many in one write,
/// and at most this many of their bytes held (a write carries at most one response more).
constexpr std::size_t pipeline_hold_responses = 16;
constexpr std::size_t pipeline_hold_bytes = 64 * 1024;

/// Pipelined requests run at once one after the other (writer_turn_ended) before the next is
/// posted behind the other connections' handlers: as many as a writer's turn handles messages.
constexpr std::size_t pipelined_requests_per_turn = 64;

/// True if the header line at `line` (up to `end`) may name a field that announces a body or
/// an interim response: Content-Length, Transfer-Encoding, Expect (in any case).
bool may_announce_body(const char* line, const char* end) {
  auto names = [&](std::string_view name) {  // `name` in lower case
    if (static_cast<std::size_t>(end - line) < name.size())
      return false;
    for (std::size_t i = 0; i < name.size(); ++i)
      if ((line[i] | 0x20) != name[i])  // letters and '-' only ('-' | 0x20 is '-')
        return false;
    return true;
  };
  switch (line[0] | 0x20) {
    case 'c': return names("content-length");
    case 't': return names("transfer-encoding");
    case 'e': return names("expect");
    default: return false;
  }
}

/// Drops the first `n` bytes of a gathered write.
template <class Buffers>
void consume(Buffers& buffers, std::size_t n) {
  auto done = buffers.begin();
  while (done != buffers.end() && n >= done->size()) {
    n -= done->size();
    ++done;
  }
  buffers.erase(buffers.begin(), done);
  if (n > 0 && !buffers.empty())
    buffers.front() += n;
}

}  // namespace

session::live_mark::live_mark(std::atomic<std::int64_t>& live) : live_(live) {
  live_.fetch_add(1, std::memory_order_relaxed);
}

session::live_mark::~live_mark() {
  live_.fetch_sub(1, std::memory_order_relaxed);
}

session::session(tcp_socket socket, session_shared& shared)
  : live_(shared.rt->stats.live_connections), socket_(std::move(socket)), shared_(shared),
    buffer_(read_buffer_max(shared.cfg)), key_(shared.rt->next_secret()),
    timer_(socket_.get_executor()),
    writer_home_(std::make_shared<strand_execution_unit>(shared.sys)) {}

session::~session() {
  shared_.registry.remove(this);  // the server keeps its registry until no session is live
}

void session::start(const asio::ip::tcp::endpoint& peer) {
  beast::error_code ignored;
  if (shared_.tls) {  // the handshake writes more than once: see no_delay_from_second_write
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    no_delay_ = true;
  }
  socket_.non_blocking(true, ignored);  // read_available() must never block
  native_fd_.store(socket_.native_handle(), std::memory_order_release);
  peer_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  // The writer runs on this connection's executor (its I/O thread): its writes start without
  // a thread hop.
  // The strand, sharing the session's ownership: the home (the writer's) holds it weakly.
  writer_home_->set_owner({shared_from_this(), &socket_.get_executor()});
  writer_home_->set_turn_listener(this);
  // Both here, in the listener's accept handler: once the listener's close has run, every
  // writer it led to is counted and its session registered (server::impl::stop relies on it).
  writer_ = spawn_response_writer(shared_.sys, shared_from_this(), shared_.rt, writer_home_, key_);
  shared_.registry.add(shared_from_this());
  asio::dispatch(socket_.get_executor(), bind_self(&session::begin, shared_from_this()));
}

void session::begin() {
  await_request();
}

// From the server's thread: a plain message, posted to the writer's strand.
void session::stop(bool hard) {
  detail::handoff_release(writer_);
  caf::anon_send(writer_, shutdown_atom::value, key_, hard);
  // An HTTP/2 client is told at once that no new stream will be served (GOAWAY); the open ones
  // may finish, as a draining HTTP/1.1 response does.
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == phase::http2) {
      self->h2_->shut_down();
      self->h2_schedule_flush();
    }
  });
}

// The descriptor is claimed for the moment of the call: do_close waits for the claim to end
// before it closes, so the number cannot be closed and reused by another socket in between.
bool session::force_shutdown() {
  auto fd = native_fd_.exchange(fd_claimed, std::memory_order_acq_rel);
  if (fd >= 0)
    ::shutdown(fd, SHUT_RDWR);  // not close: the descriptor stays the I/O thread's
  native_fd_.store(fd, std::memory_order_release);
  return fd >= 0;
}

// -- reading requests -------------------------------------------------------------------------

// Between requests. A watch still pending from the response turns into the wait for the next
// request. But a pipelining client may already have sent the next request, and waits: then
// the watch is cancelled, and its completion reads the request (see on_watch).
void session::await_request() {
  if (phase_ == phase::closed)  // closed before its first request (shutdown right after accept)
    return;
  phase_ = phase::waiting;
  if (buffer_.size() == 0) {
    if (handed_over_ == 0 && !read_pending_)
      return read_first();  // it arms the deadline if it has to wait
    arm_read_deadline();  // an idle keep-alive connection waits this long for a first byte
    return do_watch();  // unless it is pending already
  }
  if (!read_pending_)
    return read_header();
  beast::error_code ignored;
  socket_.cancel(ignored);
}

// A new connection's first request has usually arrived with it (a client writes it as soon as
// it is connected): reading at once costs one recv, where a watch first costs a wait and a
// wake-up (and, when the request is not there yet, a recv that finds nothing). Later requests
// are awaited on a watch: a busy keep-alive client's next request is rarely there yet when its
// response is out (tried: reading first made /hello at c64 cost 8 % more CPU per request).
void session::read_first() {
  read_pending_ = true;
  beast::error_code ec;
  read_available(ec);
  if (buffer_.size() > 0) {
    note_read(true);
  } else {
    buffer_.shrink_to_fit();  // nothing yet: the wait holds no read memory
    arm_read_deadline();  // the idle deadline: no timer when the request is there at once
  }
  on_watched(ec);
}

// A request is read once bytes are in the buffer: its first byte is the buffer's front, which
// stays put until the request is read whole (no read into an empty buffer runs meanwhile), so
// front_arrived_ is its arrival until then.
void session::read_header() {
  phase_ = phase::reading_header;
  if (!reading_)  // else kept for a request that was waiting in the buffer (on_read)
    reading_ = std::make_unique<incoming_request>(shared_.cfg, &spare_request_);
  if (parse_buffered_header())
    return;
  arm_read_deadline();  // slowloris: a header must arrive in time
  read_pending_ = true;
  start_header_read();
}

// A request usually arrives whole in one segment, and a pipelined one waits in the buffer:
// a header complete in the buffer is parsed here, at once — a composed read would parse the
// same bytes, but only after a post. True if the header is done (or refused): on_header ran.
bool session::parse_buffered_header() {
  auto& parser = reading_->parser();
  beast::error_code ec;
  while (buffer_.size() > 0 && !parser.is_header_done() && !ec)
    buffer_.consume(parser.put(buffer_.data(), ec));
  if (ec == http::error::need_more || (!ec && !parser.is_header_done()))
    return false;  // the rest comes by the read, which parses on from here
  on_header(ec, 0);
  return true;
}

void session::start_header_read() {
  http::async_read_header(socket_, buffer_, reading_->parser(),
                          bind_self(&session::on_header_read, shared_from_this()));
}

// A read completed (a request may have come behind this one's bytes), then as on_header.
void session::on_header_read(beast::error_code ec, std::size_t n) {
  note_read(false);
  on_header(ec, n);
}

void session::on_header(beast::error_code ec, std::size_t) {
  read_pending_ = false;
  bool timed_out = std::exchange(deadline_passed_, false);
  disarm_read_deadline();
  if (phase_ == phase::closed)
    return;
  // The timer may fire just as the header completes: a complete header is not late.
  if (timed_out && ec)
    return refuse({status::request_timeout,
                   "request header not complete within "
                     + std::to_string(shared_.cfg.header_timeout_ms) + " ms"});
  if (ec) {
    auto why = reading_->refusal(ec);
    return why ? refuse(*why) : peer_gone();
  }
  if (auto why = reading_->header_done())
    return refuse(*why);
  if (reading_->parser().is_done())
    return on_read({}, 0);
  read_body();
}

void session::read_body() {
  phase_ = phase::reading_body;
  arm_read_deadline();  // a body, too, must arrive in time
  if (wants_100_continue(reading_->get()))
    return do_continue();
  do_read_body();
}

// The client waits for a go-ahead before sending the body. An interim response, written by
// the session because no response (and so no writer write) is under way yet.
void session::do_continue() {
  start_continue_write();
}

void session::start_continue_write() {
  no_delay_from_second_write();
  asio::async_write(socket_, asio::buffer(continue_response()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec)
                        return self->peer_gone();
                      self->do_read_body();
                    });
}

void session::do_read_body() {
  read_pending_ = true;
  start_body_read();
}

void session::start_body_read() {
  http::async_read(socket_, buffer_, reading_->parser(),
                   bind_self(&session::on_body_read, shared_from_this()));
}

void session::on_body_read(beast::error_code ec, std::size_t n) {
  note_read(false);
  on_read(ec, n);
}

void session::on_read(beast::error_code ec, std::size_t) {
  read_pending_ = false;
  bool timed_out = std::exchange(deadline_passed_, false);
  disarm_read_deadline();
  if (phase_ == phase::closed)
    return;
  if (timed_out && ec)
    return refuse(
      {status::request_timeout,
       "request body not complete within " + std::to_string(shared_.cfg.body_timeout_ms) + " ms"});
  if (ec) {
    auto why = reading_->refusal(ec);
    return why ? refuse(*why) : peer_gone();
  }
  auto [in, refused] = reading_->finish(shared_.routes);
  if (in->req.peer.empty())  // a reused request has it already (clear_for_reuse)
    in->req.peer = peer_;
  in->arrived = front_arrived_;
  // The request is copied out: free the parser's fields, and the read buffer unless a
  // pipelined request waits in it (its parser is then made ready for it, in the same block).
  // A streaming connection keeps no read memory, unless a pipelined request waits: then the
  // read buffer and that block (~1 KiB) until the request is read.
  if (buffer_.size() == 0) {
    reading_.reset();
    buffer_.shrink_to_fit();
  } else {
    reading_->restart();
    pipelines_ = true;  // its next requests may be awaited with a larger block (start_peek)
    front_arrived_ = last_read_;  // the next request's first byte came with a read until now
  }
  client_closes_ = !refused && asked_to_close(in->req);
  hand_over(std::move(in), !refused);
}

void session::refuse(const request_refusal& why) {
  reading_.reset();  // nothing more is read: the refusal ends the connection
  client_closes_ = false;  // what it sent was not read whole: the close lingers
  auto in = refused_request(why);
  in->arrived = front_arrived_;
  hand_over(std::move(in), false);
}

// The watch is kept unless the request was refused: a refusal is answered, and the connection
// closes after it.
//
// Inside the writer's turn (a pipelined request, read after the writer's at-once answer to the
// one before) the request waits for the turn's end (writer_turn_ended): the writer is then
// idle, and is run for it at once (tell_writer) instead of finding it in its mailbox later in
// the turn — a heap element, an enqueue and a round of CAF's resume loop less per pipelined
// request. Its watch waits too: started now, it would be cancelled again at once
// (await_request), and the next request read only once that cancel completed.
void session::hand_over(std::shared_ptr<routed_request> in, bool then_watch) {
  phase_ = phase::responding;
  ++handed_over_;
  if (writer_home_->in_turn()) {
    BOOST_ASSERT(!next_request_);  // one request at a time: the next is read after its answer
    next_request_ = std::move(in);
    next_request_watch_ = then_watch;
    return;
  }
  give_request(std::move(in), then_watch, true);
}

// `at_once`: the writer may be run for it on this stack; else it is posted, behind the
// handlers of the other connections on this thread.
void session::give_request(std::shared_ptr<routed_request> in, bool then_watch, bool at_once) {
  auto handed = handed_over_;
  if (at_once)
    tell_writer(request_atom::value, channel_id{0}, std::move(in));
  else {
    strand_execution_unit::posted_send posted;  // even inside a connection_turn
    caf::anon_send(writer_, request_atom::value, key_, channel_id{0}, std::move(in));
  }
  // The writer may have answered at once, and the session moved on inside tell_writer (the
  // next request, a 100-continue and body read, the lingering close): the watch is then not
  // this request's to start.
  if (then_watch && handed == handed_over_ && phase_ == phase::responding)
    do_watch();
}

// The writer closes the connection when it hears so; until then nothing more is read.
void session::peer_gone() {
  reading_.reset();
  phase_ = phase::client_gone;
  tell_writer(closed_atom::value);
}

// A wait kept pending while the response is produced: it sees the client leave (EOF or
// reset) at once, and buffers what a pipelining client sends ahead. Between requests it
// waits for the next request, whose header is then read. It waits for readability without a
// buffer, so a streaming connection holds no read memory (a `read_size` buffer each was the
// largest part of a paced stream's footprint); bytes are read once they are there. Between
// requests a plain connection reads instead, into a block its client's requests fit
// (start_peek).
void session::do_watch() {
  if (read_pending_ || buffer_.size() >= pipeline_limit)
    return;
  read_pending_ = true;
  start_watch();
}

// The read between requests is started from a post, behind the handlers already
// queued on this thread: Asio tries a read at once when it is started (a `recvfrom`; its
// reactor stops trying first only after a read that returned 0 bytes), and right after the
// response the next request is not there yet, so that try finds nothing (EAGAIN). Under load the
// other connections' handlers run first, and by then the request has mostly arrived: the try reads
// it, and the EAGAIN is saved (1.9 -> 1.1 `recvfrom` per /hello at 64 connections, nginx 1.0; 12.1
// -> 11.5 µs of server CPU). An idle server runs the post at once and tries as before. The read
// counts as pending meanwhile (read_pending_): nothing else reads, and a connection closed before
// it starts ends it there.
void session::start_watch() {
  if (phase_ == phase::waiting && peek_size() > 0 && buffer_.size() == 0)
    return asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == phase::closed)
        return static_cast<void>(self->read_pending_ = false);
      self->start_peek();
    });
  wait_readable();
}

void session::wait_readable() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     bind_self(&session::on_watch, shared_from_this()));
}

// Asio re-arms the descriptor (epoll_ctl) for every wait; a read instead first tries a recv,
// and when that finds nothing it is queued without a re-arm: the descriptor is registered
// edge-triggered. A recv that finds nothing costs less than the epoll_ctl (0.5 µs less per
// /hello on this VM, `perf stat` counting both), and started from a post (start_watch) the
// read mostly finds the next request there already. So between requests a plain connection
// waits by reading into a block, held only while that read is pending.
//
// The block is as small as the client allows: 256 bytes at first (wrk's, curl's, most API
// clients' GET fit), 1 KiB once a read filled that (a browser's request: ~500 bytes without
// cookies; 16 of wrk's pipelined requests: ~700). A read that fills the block is read on as
// after a wait. One that fills 1 KiB ends the reads, and that client's later requests are
// awaited with plain waits (a read that cannot take them whole costs a recv more than a
// wait), unless the client pipelines (a read brought it more than one request): its block
// grows once more, to 4 KiB (read_size, from the thread's cache of read blocks). So an idle
// keep-alive connection holds what its client's requests needed, at most 1 KiB, or 4 KiB if
// it pipelines: the bytes a connection with half a header holds, but for as long as the idle
// deadline allows, not the header deadline. A streaming connection holds nothing (its watch
// is a wait).
void session::start_peek() {
  auto size = peek_size();
  peek_ = make_read_block(size);
  socket_.async_read_some(asio::buffer(peek_.get(), size),
                          bind_self(&session::on_peek, shared_from_this()));
}

void session::on_peek(beast::error_code ec, std::size_t n) {
  auto peeked = std::move(peek_);  // freed on return: only a waiting connection holds one
  auto size = peeked.get_deleter().size;
  // Only the waiting phase starts a peek, with an empty buffer, and no request read begins
  // while one is pending (they need read_pending_ false): the buffer is the peek's to fill.
  // (Unlike on_watch, returning here would drop what was read.)
  BOOST_ASSERT(phase_ != phase::reading_header && phase_ != phase::reading_body);
  BOOST_ASSERT(buffer_.size() == 0);
  if (n > 0) {
    note_read(true);
    std::memcpy(buffer_.prepare(read_size).data(), peeked.get(), n);
    buffer_.commit(n);
    if (n < size) {
      auto& counts = shared_.rt->counters.mine();
      counts.add(counts.small_reads, 1);
    } else {  // there may be more: read on as after a wait, and wait with more next time
      peek_filled_ = size;
      if (!ec)  // (a full read_size block: the request read that follows reads the rest)
        buffer_.commit(socket_.read_some(buffer_.prepare(read_size - n), ec));
    }
  }
  on_watched(ec);
}

/// The block the next wait reads into (see start_peek); 0: a plain wait. Whether the client
/// pipelines is asked now, not when its block filled: its first batch may be what filled it.
std::size_t session::peek_size() const {
  if (peek_filled_ < first_peek_size)
    return first_peek_size;
  if (peek_filled_ < grown_peek_size)
    return grown_peek_size;
  if (peek_filled_ < read_size && pipelines_)
    return read_size;
  return 0;
}

// What the wait saw means what the phase it ends in says: a response may have ended since
// it began.
void session::on_watch(beast::error_code ec) {
  // A request read owns the buffer in its phases; a watch never runs beside one (hand_over).
  if (phase_ == phase::reading_header || phase_ == phase::reading_body)
    return;
  if (!ec) {
    auto before = buffer_.size();
    read_available(ec);
    if (buffer_.size() > before)
      note_read(before == 0);
  }
  on_watched(ec);
}

// What the client sent is in buffer_; `ec` says whether it is still there.
void session::on_watched(beast::error_code ec) {
  read_pending_ = false;
  bool still_there = !ec || ec == asio::error::would_block;  // bytes, or woken for nothing
  switch (phase_) {
    case phase::waiting:
      // Bytes are a request; also those the watch was cancelled for (await_request). On a new
      // connection they may be the HTTP/2 preface instead.
      if (buffer_.size() > 0 && handed_over_ == 0 && begins_http2(still_there))
        return;
      if (buffer_.size() > 0) {
        disarm_read_deadline();
        return read_header();
      }
      if (still_there)
        return do_watch();
      disarm_read_deadline();
      return peer_gone();  // the client left, or the connection idled out
    case phase::responding:
      return still_there ? do_watch() : peer_gone();  // the client left mid-response
    case phase::lingering: return still_there ? drain() : do_close();
    case phase::http2:
      if (!still_there)
        return peer_gone();
      h2_receive();
      return do_watch();
    case phase::closed: return;
    case phase::handshaking:  // the watch begins after the handshake
    case phase::reading_header:  // the watch is never pending while a request is read,
    case phase::reading_body:  // nor once the client left
    case phase::client_gone: return;
  }
}

// Reads what the socket holds without blocking (it is readable). Nothing to read means the
// peer closed: `ec` says so. What does not fit wakes the next wait at once (Asio re-arms the
// descriptor for every wait), so asking how much is there would only cost a syscall.
void session::read_available(beast::error_code& ec) {
  buffer_.commit(socket_.read_some(buffer_.prepare(read_size), ec));
}

// -- writing (the writer actor's side) -------------------------------------------------------

// The writer calls in from its turn on this session's strand: the write starts at once, and
// one the socket takes whole is complete when this returns (no completion message, no post).
// A call from anywhere else is dispatched, and its completion is a message.
bool session::write(channel_id ch, outgoing out, write_kind kind) {
  if (h2_) {  // framed when the flush runs (never inside the writer's turn: see h2_flush)
    asio::dispatch(socket_.get_executor(),
                   [self = shared_from_this(), ch, out = std::move(out), kind]() mutable {
                     self->h2_->write(ch, std::move(out), kind);
                     self->h2_schedule_flush();
                   });
    return false;
  }
  if (writer_home_->in_turn()) {
    if (hold_flat(out, kind))
      return true;
    return do_write(framer_.frame(std::move(out)), kind, true);
  }
  auto parts = framer_.frame(std::move(out));
  asio::dispatch(socket_.get_executor(),
                 [self = shared_from_this(), parts = std::move(parts), kind]() mutable {
                   self->do_write(std::move(parts), kind, false);
                 });
  return false;
}

bool session::do_write(std::vector<std::string> parts, write_kind kind, bool at_once_ok) {
  if (phase_ == phase::closed) {
    tell_writer(write_done_atom::value, channel_id{0}, false);
    return false;
  }
  if (own_write_) {  // held responses are still on their way: this write follows them
    held_.queue_behind(std::move(parts));
    writer_write_queued_ = true;
    queued_kind_ = kind;
    return false;
  }
  if (may_hold_back(kind, at_once_ok)) {
    std::size_t bytes = 0;
    for (const auto& part : parts)
      bytes += part.size();
    if (fits_held_back(bytes)) {
      // Done, as far as the writer is concerned: it moves on to the next request, whose
      // response joins this one (see may_hold_back for why that is bounded).
      held_.hold(parts, bytes);
      spare_parts::give(parts);
      return held_back(kind);
    }
  }
  held_.take_into(parts);  // what was held goes first, in the same write
  out_ = std::move(parts);
  return start_write(kind, at_once_ok);
}

// A response is held back (may_hold_back, then fits_held_back) when all of these hold:
// - it is complete and the connection stays open (last_keep_alive), and it would have been
//   written at once (the writer called from its turn and waits for the answer);
// - the next request waits whole in the buffer, needs nothing more from the client (no body,
//   no 100-continue) and nothing is pending on the socket: so the session reads it and hands
//   it to the writer at once, inside this turn;
// - fewer than pipeline_hold_responses responses and at most pipeline_hold_bytes would be
//   held: the writer is told this write is done, and moves on, while its bytes are still
//   here — the bound is what keeps a pipelining client from piling up memory (past it, the
//   write goes to the socket, and the writer waits for it as for any write).
// What is held goes out with the next write that is not held back (a response that streams,
// the last of the batch, one past the bound, one that closes), or at the end of the writer's
// turn (writer_turn_ended), so nothing held ever waits for a producer or for the client.
// may_hold_back tests what a response's size does not change; fits_held_back the rest.
// (A lone request leaves the buffer empty: it costs the first two tests.)
bool session::may_hold_back(write_kind kind, bool at_once_ok) const {
  return kind == write_kind::last_keep_alive && buffer_.size() > 0 && at_once_ok
    && phase_ == phase::responding && !read_pending_ && !close_after_flush_
    && held_.responses() + 1 < pipeline_hold_responses && next_request_buffered();
}

bool session::fits_held_back(std::size_t bytes) const {
  return held_.bytes() + bytes <= pipeline_hold_bytes;
}

// A complete response that frame() would send as its head and its body parts is copied into
// the batch straight from them, when it is held back: its head never becomes a string of its
// own (an allocation, a copy and a free per pipelined response). Any other write, or one
// that is not held back, is framed and goes through do_write as before.
bool session::hold_flat(outgoing& out, write_kind kind) {
  if (own_write_ || !may_hold_back(kind, true))
    return false;
  auto head = framer_.flat_head(out);
  auto bytes = head.size() + out.body_bytes;
  if (head.empty() || !fits_held_back(bytes))
    return false;  // (frame() renders the head again: once per pipeline_hold_bytes at most)
  held_.hold(head, out.body, bytes);
  spare_parts::give(out.body);
  return held_back(kind);
}

bool session::held_back(write_kind kind) {
  auto& counts = shared_.rt->counters.mine();
  counts.add(counts.coalesced_responses, 1);
  after_write(kind);
  return true;
}

// Cheaper than the parser and stricter: a request that begins at once (no empty lines before
// it), whose header is complete, and without a field that could mean a body or an interim
// response (Content-Length, Transfer-Encoding, Expect). A request this passes wrongly — a
// header the parser refuses — is refused at once, which needs nothing from the client either.
bool session::next_request_buffered() const {
  auto data = buffer_.cdata();
  auto* p = static_cast<const char*>(data.data());
  auto* end = p + data.size();
  if (p == end || *p < 'A' || *p > 'Z')
    return false;
  for (;;) {  // one line at a time, from the request line on
    auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (!nl || nl + 1 == end)
      return false;
    p = nl + 1;
    if (*p == '\r')  // the empty line (a bare CR or LF there: the parser's to judge, not held)
      return p + 1 < end && p[1] == '\n';
    if (*p == '\n' || may_announce_body(p, end))
      return false;
  }
}

// After each of the writer's turns: first the request read inside it (hand_over), and the
// next one read inside that request's turn, and so on: one after the other here, not each
// inside the last one's turn, so that a client pipelining thousands of requests costs no
// stack (the turns of this loop end here at once). After as many requests as a turn handles
// messages, the next one is posted: the other connections on this thread get their turn, as
// they do when a writer yields.
// Then what the writer held back goes to the socket: the writer did not answer the next
// request at once (a producer works on it), or the turn ended (yield).
void session::writer_turn_ended() {
  if (handing_over_)
    return;  // a turn of the loop below: it goes on from there
  handing_over_ = true;
  for (std::size_t given = 0; next_request_; ++given) {
    auto in = std::move(next_request_);
    next_request_.reset();
    give_request(std::move(in), next_request_watch_, given < pipelined_requests_per_turn);
  }
  handing_over_ = false;
  // A connection whose next request is not there yet waits for its client, and one whose
  // response stays open (a stream) reads nothing until it ends: either keeps no request to
  // reuse (see request_done), so an idle or streaming one holds none.
  if (buffer_.size() == 0 || phase_ != phase::reading_header)
    spare_request_.reset();
  if (!held_.empty() && !own_write_)
    flush_held();
}

// The session's own write: through start_write as any other (plain or TLS), with the send
// deadline if the client is slow; its completion goes to on_flushed, not to the writer.
void session::flush_held() {
  if (held_.empty() || own_write_)
    return;
  if (phase_ == phase::closed)
    return held_.drop();
  out_ = held_.take_all();
  own_write_ = true;
  if (start_write(write_kind::more, true)) {  // complete at once; after_write(more) did nothing
    own_write_ = false;
    after_flush();
  }
}

void session::on_flushed(beast::error_code ec) {
  own_write_ = false;
  release_write();
  if (ec) {  // the client left, or the send deadline closed the connection
    held_.drop();
    close_after_flush_ = false;
    if (std::exchange(writer_write_queued_, false))
      tell_writer(write_done_atom::value, channel_id{0}, false);
    else if (phase_ != phase::client_gone)
      tell_writer(closed_atom::value);  // the writer ends what it is producing, and quits
    return do_close();
  }
  after_flush();
}

void session::after_flush() {
  if (std::exchange(close_after_flush_, false)) {
    // The writer has quit: a write it left queued is dropped (it closed, so the client
    // would not get the rest of that response anyway).
    writer_write_queued_ = false;
    held_.drop();
    return linger();
  }
  if (std::exchange(writer_write_queued_, false)) {
    out_ = held_.take_all();
    start_write(queued_kind_, false);  // the writer's: its completion is on_write's
  }
}

bool session::start_write(write_kind kind, bool at_once_ok) {
  no_delay_from_second_write();
  // Most writes fit into the socket's buffer: write at once (the socket never blocks), and
  // only a write that has to wait for the client gets a send deadline.
  // (The buffers live on the stack until the socket refuses some.)
  boost::container::small_vector<asio::const_buffer, 8> left;
  for (const auto& part : out_)
    left.emplace_back(asio::buffer(part));
  beast::error_code ec;
  for (bool first = true; !left.empty() && !ec; first = false) {
    if (!first)
      set_no_delay();  // a write that takes more than one send is a second write to Nagle
    consume(left, socket_.write_some(left, ec));
  }
  if (left.empty() && at_once_ok) {
    release_write();
    after_write(kind);
    return true;
  }
  if (left.empty() || ec != asio::error::would_block) {
    asio::post(socket_.get_executor(), bind_self(&session::on_write, shared_from_this(), ec, kind));
    return false;
  }
  out_buffers_.assign(left.begin(), left.end());
  set_no_delay();  // the rest goes out in more sends
  do_write_rest(kind);
  return false;
}

// The client reads slower than the response is written: the rest goes out as the socket
// takes it, and a write that makes no progress for send-timeout-ms ends the connection.
void session::do_write_rest(write_kind kind) {
  write_waiting_ = true;
  write_progress_ = std::chrono::steady_clock::now();
  arm_response_timer();
  asio::async_write(socket_, out_buffers_, write_progress{shared_from_this()},
                    bind_self(&session::on_write_rest, shared_from_this(), kind));
}

// Called with the bytes written so far before each partial write: any new byte is progress.
std::size_t session::write_progress::operator()(beast::error_code ec, std::size_t n) {
  if (n != seen) {
    seen = n;
    self->write_progress_ = std::chrono::steady_clock::now();
  }
  return ec ? 0 : partial_write_max;
}

void session::on_write_rest(write_kind kind, beast::error_code ec, std::size_t) {
  write_waiting_ = false;
  on_write(ec, kind);
}

// The writer hears first (it runs at once, and may already write again: then after_write
// finds the write it started under way, or done and followed up), then the session moves on —
// in that order, so that a pipelined request read in after_write finds the writer done.
void session::on_write(beast::error_code ec, write_kind kind) {
  if (h2_)
    return on_h2_written(ec);
  if (own_write_)
    return on_flushed(ec);
  release_write();
  tell_writer(write_done_atom::value, channel_id{0}, !ec);
  if (ec)
    return do_close();
  after_write(kind);
}

// Released, not kept for the next write: a slow stream would hold them between chunks. (The
// parts' vector becomes the thread's spare one, for the next response's body.)
void session::release_write() {
  spare_parts::give(out_);
  release_memory(out_buffers_);
}

// Only a response under way moves on; a client that left is closed by the writer.
void session::after_write(write_kind kind) {
  if (kind == write_kind::more || phase_ != phase::responding)
    return;
  if (kind == write_kind::last_keep_alive)
    return await_request();
  linger();
}

// -- the timer --------------------------------------------------------------------------------

// When a read deadline fires it cancels the pending read, whose handler then sees
// `deadline_passed_`.
//
// Read deadlines are lazy. A keep-alive connection sets and clears one or two per request (the
// idle timeout, the header timeout), and setting an Asio timer costs a heap update under a
// lock and cancelling it a completion; so a deadline is just `read_due_`, and the timer, once
// waiting, is left alone when a later deadline replaces its own. When it fires early it waits
// again for the current one; a cleared deadline costs nothing until then. (nginx does the
// same with its timers.)
void session::arm_read_deadline() {
  auto ms = phase_ == phase::handshaking ? shared_.cfg.tls_handshake_timeout_ms
    : phase_ == phase::waiting           ? shared_.cfg.idle_timeout_ms
    : phase_ == phase::reading_header    ? shared_.cfg.header_timeout_ms
                                         : shared_.cfg.body_timeout_ms;
  deadline_passed_ = false;
  if (ms <= 0) {
    read_due_ = no_due;
    return;
  }
  read_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  if (read_wait_until_ > read_due_)  // else the timer wakes first, and waits on
    wait_for_read_due();
}

void session::wait_for_read_due() {
  read_wait_until_ = read_due_;
  timer_.expires_at(read_due_);
  timer_.async_wait(bind_self(&session::on_read_deadline, shared_from_this()));
}

// Whatever else uses the timer replaces the read deadline's wait (cancelling it).
void session::timer_taken() {
  read_wait_until_ = no_due;
}

// The cancel ends the operation pending on the socket at this instant. A composed read (a
// header read, a TLS handshake or record) whose step just completed has none pending: it
// starts its next step after the cancel and would run without a deadline. So the deadline
// gets a backstop: if the read has not ended a grace later, the socket is shut down, which
// ends any read (nothing is read after a read deadline anyway: what follows is a 408 or the
// close).
void session::on_read_deadline(beast::error_code ec) {
  if (ec)  // replaced: by a nearer read deadline, or by another use of the timer
    return;
  read_wait_until_ = no_due;
  if (!reading() || read_due_ == no_due)
    return;
  if (std::chrono::steady_clock::now() < read_due_)
    return wait_for_read_due();  // the deadline moved on since this wait began
  beast::error_code ignored;
  if (deadline_passed_) {  // the backstop: the cancel missed
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return;
  }
  deadline_passed_ = true;
  socket_.cancel(ignored);
  read_due_ = std::chrono::steady_clock::now() + read_deadline_grace;
  wait_for_read_due();
}

void session::disarm_read_deadline() {
  read_due_ = no_due;
}

bool session::reading() const {
  return phase_ == phase::handshaking || phase_ == phase::waiting || phase_ == phase::reading_header
    || phase_ == phase::reading_body;
}

// While a response is produced no read deadline runs: the timer serves the writer (its
// deadline, SSE heartbeats) and the send deadline of a write that waits for the client,
// armed for whichever is due first. Out of that phase the writer's times do not matter.
void session::set_timer(std::chrono::steady_clock::time_point due) {
  asio::dispatch(socket_.get_executor(),
                 bind_self(&session::do_set_timer, shared_from_this(), due));
}

void session::do_set_timer(std::chrono::steady_clock::time_point due) {
  writer_due_ = due;
  if (phase_ == phase::responding || phase_ == phase::http2)
    arm_response_timer();
}

// Only an HTTP/1.1 request the writer handed back in its turn here, on this connection's
// thread, and that nothing else holds (a copy held elsewhere could still be read there) is
// kept: everything else that touches spare_request_ runs on this thread too.
//
// And only while bytes of the next request are already buffered (a pipelining client), and
// the connection reads on: one that waits for its client would hold it idle (~0.85 KiB for
// a /hello, up to ~3 KiB: see request_reuse.hpp), and clearing it costs more than freeing it.
void session::request_done(channel_id, std::shared_ptr<routed_request> in) {
  if (!writer_home_->in_turn() || h2_ || buffer_.size() == 0)
    return;
  if (phase_ != phase::responding && phase_ != phase::waiting && phase_ != phase::reading_header)
    return;  // it closes, or lingers, or a body is read: no request follows soon
  if (in.use_count() != 1)
    return;
  // A copy released on another thread (none is: see above) happened before this reuse.
  std::atomic_thread_fence(std::memory_order_acquire);
  clear_for_reuse(*in);
  spare_request_ = std::move(in);
  auto& counts = shared_.rt->counters.mine();
  counts.add(counts.reused_requests, 1);
}

void session::cancel_timer() {
  asio::dispatch(socket_.get_executor(), bind_self(&session::do_cancel_timer, shared_from_this()));
}

void session::do_cancel_timer() {
  do_set_timer(std::chrono::steady_clock::time_point::max());
}

void session::arm_response_timer() {
  auto due = writer_due_;
  auto send_timeout = std::chrono::milliseconds(shared_.cfg.send_timeout_ms);
  if (write_waiting_ && send_timeout.count() > 0)
    due = std::min(due, write_progress_ + send_timeout);
  due = std::min(due, std::min(h2_idle_due_, h2_streams_due_));
  timer_taken();
  if (due == std::chrono::steady_clock::time_point::max())
    return static_cast<void>(timer_.cancel());
  timer_.expires_at(due);
  timer_.async_wait(bind_self(&session::on_response_timer, shared_from_this()));
}

// A late or stale wake-up does no harm: both deadlines are checked against the clock.
void session::on_response_timer(beast::error_code ec) {
  // In client_gone the writer closes anyway; the send deadline still holds until it does.
  if (ec || (phase_ != phase::responding && phase_ != phase::client_gone && phase_ != phase::http2))
    return;
  auto now = std::chrono::steady_clock::now();
  auto send_timeout = std::chrono::milliseconds(shared_.cfg.send_timeout_ms);
  if (write_waiting_ && send_timeout.count() > 0 && now - write_progress_ >= send_timeout) {
    // The client stopped reading: closing fails the write, and the writer ends the response
    // and frees its queue when it hears so.
    shared_.rt->stats.send_timeouts_total.fetch_add(1, std::memory_order_relaxed);
    return do_close();
  }
  if (phase_ == phase::http2 && now >= h2_streams_due_) {  // a stream's send or read deadline
    h2_streams_due_ = h2_->expire_streams(now);
    h2_schedule_flush();
  }
  if (phase_ == phase::http2 && now >= h2_idle_due_) {  // GOAWAY, then close
    h2_idle_due_ = no_due;
    h2_closing_ = true;
    h2_->shut_down();
    h2_schedule_flush();
  }
  bool writer_due = (phase_ == phase::responding || phase_ == phase::http2) && now >= writer_due_;
  if (writer_due)
    writer_due_ = std::chrono::steady_clock::time_point::max();
  arm_response_timer();  // the send deadline; the writer re-arms its own time when told
  if (writer_due)
    tell_writer(timer_atom::value);
}

// -- HTTP/2 -----------------------------------------------------------------------------------

// A plain connection speaks HTTP/2 if it begins with the preface (prior knowledge: RFC 9113
// 3.3); no `Upgrade: h2c` (RFC 9113 dropped it). A part of the preface waits for the rest,
// within the idle deadline still armed. True if the bytes were HTTP/2's.
bool session::begins_http2(bool still_there) {
  if (!shared_.cfg.http2 || shared_.tls)
    return false;
  auto data = buffer_.cdata();
  std::string_view got{static_cast<const char*>(data.data()),
                       std::min(data.size(), h2_client_preface.size())};
  if (h2_client_preface.substr(0, got.size()) != got)
    return false;
  if (got.size() < h2_client_preface.size()) {
    if (std::exchange(deadline_passed_, false)) {  // a request begun and not finished in time
      disarm_read_deadline();
      refuse({status::request_timeout,
              "the HTTP/2 connection preface did not arrive within "
                + std::to_string(shared_.cfg.idle_timeout_ms) + " ms"});
      return true;
    }
    if (!still_there)  // gone: HTTP/1.1 reads what it sent (and sees the client leave)
      return false;
    if (read_due_ == no_due)  // the rest is due within the idle deadline, counted from now
      arm_read_deadline();  // (read_first arms it only when nothing came at once)
    do_watch();
    return true;
  }
  start_http2();
  return true;
}

void session::start_http2() {
  disarm_read_deadline();
  phase_ = phase::http2;
  auto& stats = shared_.rt->stats;
  h2_ = std::make_unique<http2_codec>(*this, shared_.cfg, shared_.routes, stats.http2,
                                      stats.send_timeouts_total, peer_);
  h2_update_idle();
  h2_receive();  // the preface (and whatever followed it) is in the buffer already
  h2_schedule_flush();  // the server's SETTINGS
  do_watch();
}

void session::h2_receive() {
  auto data = buffer_.cdata();
  bool ok = data.size() == 0 || h2_->receive(static_cast<const char*>(data.data()), data.size());
  buffer_.consume(buffer_.size());
  buffer_.shrink_to_fit();  // an idle connection keeps no read memory (it is recycled per thread)
  if (!ok)
    h2_closing_ = true;  // the codec's GOAWAY goes out, then the connection closes
  h2_update_idle();
  h2_schedule_flush();
}

// Frames are taken from nghttp2 in a handler of their own: the writer's calls (write, reset,
// close) run inside the codec's callbacks at times, where nghttp2 may not be asked to send.
void session::h2_schedule_flush() {
  if (std::exchange(h2_flush_posted_, true))
    return;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->h2_flush_posted_ = false;
    self->h2_flush();
  });
}

void session::h2_flush() {
  if (h2_writing_)
    return;
  // Asked to close (the writer, which may have quit since, or the codec), and then the client
  // left: nobody else will close now.
  if (phase_ == phase::client_gone && h2_closing_)
    return do_close();
  if (phase_ != phase::http2)
    return;
  constexpr std::size_t write_max = 64 * 1024;
  h2_->take_output(out_, write_max);
  if (out_.empty()) {
    if (h2_closing_ || !h2_->alive()) {
      // The GOAWAY is out. A client that still sends (a flood) would have a close answered
      // with a reset, which can destroy the GOAWAY before the client read it: the close
      // lingers as after an HTTP/1.1 response. Then the writer ends the streams it still has
      // (their workers stop) and quits; its close() leaves the lingering close alone.
      linger();
      return tell_writer(closed_atom::value);
    }
    if (h2_->active_streams() == 0)  // no response under way: as after an HTTP/1.1 response
      output_idle();
    return h2_watch_streams();
  }
  h2_writing_ = true;
  start_write(write_kind::more, false);  // never completes here (its completion is posted)
  h2_watch_streams();
}

void session::on_h2_written(beast::error_code ec) {
  release_write();
  h2_writing_ = false;
  if (phase_ == phase::closed)  // the send deadline closed it: the writer ends its streams
    return tell_writer(closed_atom::value);
  if (ec) {
    peer_gone();  // the writer ends its streams and closes
    return do_close();
  }
  h2_->written();
  h2_update_idle();
  h2_flush();
}

// An HTTP/2 connection with no request in the writer's hands idles out as a keep-alive one
// does (streams still being read count as idle: their client is what is slow).
void session::h2_update_idle() {
  auto ms = shared_.cfg.idle_timeout_ms;
  if (h2_->active_streams() > 0 || ms <= 0) {
    h2_idle_due_ = no_due;
    return;
  }
  if (h2_idle_due_ != no_due)
    return;
  h2_idle_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  arm_response_timer();
}

// After each flush (so after each read, too): the stream whose deadline comes first sets the
// timer (see http2_codec::expire_streams), so that the send and read deadlines hold per stream.
void session::h2_watch_streams() {
  if (phase_ != phase::http2)
    return;
  auto due = h2_->expire_streams(std::chrono::steady_clock::now());
  if (due != h2_streams_due_) {
    h2_streams_due_ = due;
    arm_response_timer();
  }
}

void session::h2_request(channel_id ch, std::shared_ptr<routed_request> in) {
  ++handed_over_;
  tell_writer(request_atom::value, ch, std::move(in));
}

void session::h2_reset(channel_id ch) {
  tell_writer(reset_atom::value, ch);
}

void session::h2_write_done(channel_id ch) {
  tell_writer(write_done_atom::value, ch, true);
}

void session::reset(channel_id ch) {
  if (!h2_)
    return close();
  asio::dispatch(socket_.get_executor(), [self = shared_from_this(), ch] {
    self->h2_->reset(ch);
    self->h2_schedule_flush();
  });
}

// -- closing ----------------------------------------------------------------------------------

void session::close() {
  if (h2_) {  // GOAWAY first, and the frames already queued; then the close (h2_flush)
    return asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ != phase::http2)
        return self->do_close_unless_lingering();
      self->h2_closing_ = true;
      self->h2_->shut_down();
      self->h2_schedule_flush();
    });
  }
  asio::dispatch(socket_.get_executor(),
                 bind_self(&session::do_close_unless_lingering, shared_from_this()));
}

// A lingering close ends itself (the client's EOF or the patience). Responses held back
// (or on their way in the session's own write) are complete: they go out first, then the
// connection closes as after a last response — unless the client is gone.
void session::do_close_unless_lingering() {
  if (phase_ == phase::lingering)
    return;
  if (phase_ != phase::client_gone && phase_ != phase::closed && (own_write_ || !held_.empty())) {
    close_after_flush_ = true;
    return flush_held();  // if not under way already
  }
  do_close();
}

void session::do_close() {
  if (phase_ == phase::closed)
    return;
  phase_ = phase::closed;
  spare_request_.reset();
  for (auto fd = native_fd_.load(std::memory_order_acquire);;) {  // see force_shutdown
    if (fd == fd_claimed)
      fd = native_fd_.load(std::memory_order_acquire);
    else if (native_fd_.compare_exchange_weak(fd, -1, std::memory_order_acq_rel))
      break;
  }
  beast::error_code ignored;
  timer_taken();
  timer_.cancel();
  if (!fin_sent_)  // the FIN goes out ahead of the reset that unread input causes
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

// Nagle holds a small write back while an earlier one is unacknowledged, and the client's
// delayed ACK can make that 40 ms: a connection turns it off before its second write. Its
// first write goes out at once either way, so a connection that closes after one response
// never needs the system call. (A TLS connection turns it off at once: its handshake writes
// more than once.)
void session::no_delay_from_second_write() {
  if (std::exchange(wrote_once_, true))
    set_no_delay();
}

void session::set_no_delay() {
  if (std::exchange(no_delay_, true))
    return;
  beast::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

// The last response is out: see lingering_close. No request is read any more, so the timer
// is free for the patience. A watch still pending drains once it completes (on_watch).
void session::linger() {
  reading_.reset();  // a request kept for (pipelined after this one) is never read now
  spare_request_.reset();
  phase_ = phase::lingering;
  start_linger();
  if (client_sends_no_more())
    return do_close();  // (a watch still pending ends with the close)
  if (read_pending_)
    arm_linger_patience();
  else
    drain();
}

// A client that asked to close sends no further request (RFC 9112 9.6): once its request was
// read whole and nothing more is waiting, the server need not wait for its EOF, and closes at
// once, as nginx does (`lingering_close on` lingers only when more input may come). That
// saves a wake-up per connection, and the wait for clients that close only after the server
// (a TLS client that sends its close_notify, then closes). Whatever is waiting (raw bytes:
// TLS reads nothing any more) is discarded and the close lingers, as for any other client.
bool session::client_sends_no_more() {
  if (!client_closes_ || buffer_.size() > 0)
    return false;
  char scratch[linger_scratch_size];
  beast::error_code ec;
  socket_.read_some(asio::buffer(scratch), ec);
  return ec.failed();  // would_block (nothing waiting), the client's EOF, or an error
}

// Half-closes; the client's EOF is then awaited by drain(), for at most linger_patience.
void session::start_linger() {
  fin_sent_ = true;
  beast::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void session::arm_linger_patience() {
  if (std::exchange(linger_patience_armed_, true))
    return;
  timer_taken();
  lingering_close::arm_patience(timer_, linger_patience,
                                bind_self(&session::do_close, shared_from_this()));
}

// Most clients have closed by the time the server half-closes (a client that asked for
// `Connection: close` closes once it has read the response): their EOF is waiting, and the
// connection closes at once, with no timer armed and no scratch buffer made. (The bytes read
// here are discarded, as the drain's are; a client that keeps sending is left to the drain.)
bool session::drained_at_once() {
  char scratch[linger_scratch_size];
  for (int reads = 0; reads < 4; ++reads) {
    beast::error_code ec;
    socket_.read_some(asio::buffer(scratch), ec);  // raw bytes: TLS reads nothing any more
    if (ec == asio::error::would_block || ec == asio::error::try_again)
      return false;
    if (ec)
      return true;  // the client's EOF, or an error: nothing more will come
  }
  return false;
}

void session::drain() {
  if (drained_at_once())
    return do_close();
  arm_linger_patience();
  // Scratch of its own, not the read buffer: every drained read reuses it until the close, and
  // the read buffer's memory moves whenever anything prepares or shrinks it.
  buffer_.clear();
  buffer_.shrink_to_fit();
  if (!linger_scratch_)
    linger_scratch_ = std::make_unique<char[]>(linger_scratch_size);
  lingering_close::drain(socket_, asio::buffer(linger_scratch_.get(), linger_scratch_size),
                         bind_self(&session::do_close, shared_from_this()));
}

}  // namespace fastactor
