#include "server/session.hpp"

#include <fastactor/detail/handoff.hpp>
#include "actors/response_writer.hpp"
#include "protocol/response_head.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/url/parse.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <sys/socket.h>
#include <utility>

namespace fastactor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

/// How long a closing connection waits for the client to close its side, so that the
/// response is not destroyed by a TCP reset.
constexpr auto linger_time = std::chrono::seconds(2);

/// Drops the first `n` bytes of a gathered write.
void consume(std::vector<asio::const_buffer>& buffers, std::size_t n) {
  auto done = buffers.begin();
  while (done != buffers.end() && n >= done->size()) {
    n -= done->size();
    ++done;
  }
  buffers.erase(buffers.begin(), done);
  if (n > 0 && !buffers.empty())
    buffers.front() += n;
}

} // namespace

session::session(asio::ip::tcp::socket socket, session_shared& shared)
  : socket_(std::move(socket)), shared_(shared), buffer_(read_buffer_max(shared.cfg)),
    key_(shared.rt->next_secret()), read_timer_(socket_.get_executor()),
    writer_home_(shared.sys, socket_.get_executor()) {
  shared_.rt->stats.live_connections.fetch_add(1, std::memory_order_relaxed);
}

session::~session() {
  shared_.registry.remove(this);
  shared_.rt->stats.live_connections.fetch_sub(1, std::memory_order_relaxed);
}

void session::start() {
  beast::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // no Nagle + delayed-ACK stalls
  socket_.non_blocking(true, ignored);  // read_available() must never block
  native_fd_.store(socket_.native_handle(), std::memory_order_release);
  auto remote = socket_.remote_endpoint(ignored);
  if (!ignored)
    peer_ = remote.address().to_string() + ":" + std::to_string(remote.port());
  // The writer runs on this connection's executor (its I/O thread): its writes start without
  // a thread hop.
  writer_home_.set_owner(weak_from_this());
  writer_ = spawn_response_writer(shared_.sys, shared_from_this(), shared_.rt, &writer_home_, key_);
  shared_.registry.add(shared_from_this());
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void session::stop(bool hard) {
  tell_writer(shutdown_atom::value, hard);
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

void session::do_read() {
  if (closed_)
    return;
  if (buffer_.size() == 0)
    return do_wait_request();
  do_read_header();
}

// An idle keep-alive connection: wait for the next request's first byte, for at most the
// idle timeout. The same read as the watch (below): its completion parses the request.
void session::do_wait_request() {
  arm_read_deadline(deadline_kind::idle);
  do_watch();
}

void session::do_read_header() {
  reading_ = std::make_unique<incoming_request>(shared_.cfg);
  arm_read_deadline(deadline_kind::header);  // slowloris: a header must arrive in time
  read_pending_ = true;
  http::async_read_header(socket_, buffer_, reading_->parser(),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            self->on_header(ec);
                          });
}

void session::on_header(beast::error_code ec) {
  read_pending_ = false;
  bool timed_out = std::exchange(deadline_passed_, false);
  disarm_read_deadline();
  if (closed_)
    return;
  // The timer may fire just as the header completes: a complete header is not late.
  if (timed_out && ec)
    return refuse({status::request_timeout, "request header not complete within "
                          + std::to_string(shared_.cfg.header_timeout_ms) + " ms"});
  if (ec) {
    auto why = reading_->refusal(ec);
    return why ? refuse(*why) : peer_gone();
  }
  if (auto why = reading_->header_done())
    return refuse(*why);
  if (reading_->parser().is_done())
    return on_read({});
  arm_read_deadline(deadline_kind::body);  // a body, too, must arrive in time
  if (wants_100_continue(reading_->get()))
    return do_continue();
  do_read_body();
}

// The client waits for a go-ahead before sending the body. An interim response, written by
// the session because no response (and so no writer write) is under way yet.
void session::do_continue() {
  asio::async_write(socket_, asio::buffer(continue_response()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec)
                        return self->peer_gone();
                      self->do_read_body();
                    });
}

void session::do_read_body() {
  read_pending_ = true;
  http::async_read(socket_, buffer_, reading_->parser(),
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     self->on_read(ec);
                   });
}

void session::on_read(beast::error_code ec) {
  read_pending_ = false;
  bool timed_out = std::exchange(deadline_passed_, false);
  disarm_read_deadline();
  if (closed_)
    return;
  if (timed_out && ec)
    return refuse({status::request_timeout, "request body not complete within "
                          + std::to_string(shared_.cfg.body_timeout_ms) + " ms"});
  if (ec) {
    auto why = reading_->refusal(ec);
    return why ? refuse(*why) : peer_gone();
  }
  auto [in, refused] = reading_->finish(shared_.routes);
  in->req.peer = peer_;
  // The request is copied out: free the parser's fields, and the read buffer unless a
  // pipelined request waits in it. A streaming connection keeps no read memory.
  reading_.reset();
  if (buffer_.size() == 0)
    buffer_.shrink_to_fit();
  hand_over(std::move(in), !refused);
}

void session::refuse(const request_refusal& why) {
  hand_over(refused_request(why), false);
}

void session::peer_gone() {
  tell_writer(closed_atom::value);
}

template <class Atom, class... Ts>
void session::tell_writer(Atom atom, Ts&&... xs) {
  detail::handoff_release(writer_);
  caf::anon_send(writer_, atom, key_, std::forward<Ts>(xs)...);
}

void session::hand_over(std::shared_ptr<routed_request> in, bool then_watch) {
  responding_ = true;
  tell_writer(request_atom::value, std::shared_ptr<const routed_request>{std::move(in)});
  if (then_watch)
    do_watch();
}

// One timer guards whichever read is pending; when it fires it cancels that read, whose
// handler then sees `deadline_passed_`.
void session::arm_read_deadline(deadline_kind kind) {
  auto ms = kind == deadline_kind::idle     ? shared_.cfg.idle_timeout_ms
            : kind == deadline_kind::header ? shared_.cfg.header_timeout_ms
                                            : shared_.cfg.body_timeout_ms;
  deadline_ = kind;
  deadline_passed_ = false;
  if (ms <= 0)
    return;
  read_timer_.expires_after(std::chrono::milliseconds(ms));
  read_timer_.async_wait([self = shared_from_this(), kind](beast::error_code ec) {
    if (ec || self->deadline_ != kind || self->closed_)
      return;
    self->deadline_passed_ = true;
    beast::error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void session::disarm_read_deadline() {
  if (deadline_ == deadline_kind::response)
    return;  // the writer's: bytes that arrive while a response is produced do not end it
  deadline_ = deadline_kind::none;
  read_timer_.cancel();
}

// A wait kept pending while the response is produced: it sees the client leave (EOF or
// reset) at once, and buffers what a pipelining client sends ahead. Between responses it
// waits for the next request, whose header is then read. It waits for readability without a
// buffer, so an idle or streaming connection holds no read memory (a 4 KiB buffer each was
// the largest part of a paced stream's footprint); bytes are read once they are there.
void session::do_watch() {
  if (closed_ || read_pending_ || buffer_.size() >= pipeline_limit)
    return;
  read_pending_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) { self->on_watch(ec); });
}

void session::on_watch(beast::error_code ec) {
  read_pending_ = false;
  if (closed_)
    return;
  if (!ec && read_available(ec) == 0 && ec == asio::error::would_block)  // woken for nothing
    return std::exchange(watch_cancelled_, false) ? do_read() : do_watch();
  if (lingering_)
    return ec ? do_close() : do_drain();
  if (std::exchange(watch_cancelled_, false) && ec == asio::error::operation_aborted)
    return do_read();
  disarm_read_deadline();
  if (ec)  // the client left mid-response, or the connection idled out after it
    return peer_gone();
  if (responding_)
    do_watch();
  else
    do_read_header();
}

// -- writing (the writer actor's side) -------------------------------------------------------

// The writer calls in from the executor it runs on, so `dispatch` starts the write at once.
void session::write(std::vector<std::string> parts, write_kind kind) {
  asio::dispatch(socket_.get_executor(),
             [self = shared_from_this(), parts = std::move(parts), kind]() mutable {
               self->do_write(std::move(parts), kind);
             });
}

void session::do_write(std::vector<std::string> parts, write_kind kind) {
  if (closed_)
    return tell_writer(write_done_atom::value, false);
  out_ = std::move(parts);
  out_buffers_.reserve(out_.size());
  for (const auto& part : out_)
    out_buffers_.emplace_back(asio::buffer(part));
  // Most writes fit into the socket's buffer: write at once (the socket never blocks), and
  // only a write that has to wait for the client gets a send deadline.
  beast::error_code ec;
  while (!out_buffers_.empty() && !ec)
    consume(out_buffers_, socket_.write_some(out_buffers_, ec));
  if (out_buffers_.empty() || ec != asio::error::would_block)
    return asio::post(socket_.get_executor(), [self = shared_from_this(), ec, kind] {
      self->on_write(ec, kind);
    });
  do_write_rest(kind);
}

// The client reads slower than the response is written: the rest goes out as the socket
// takes it, and a write that makes no progress for send-timeout-ms ends the connection.
void session::do_write_rest(write_kind kind) {
  write_waiting_ = true;
  write_progress_ = std::chrono::steady_clock::now();
  arm_response_timer();
  // Called with the bytes written so far before each partial write: any new byte is progress.
  auto progress = [self = shared_from_this(), seen = std::size_t{0}](
                    beast::error_code ec, std::size_t n) mutable -> std::size_t {
    if (n != seen) {
      seen = n;
      self->write_progress_ = std::chrono::steady_clock::now();
    }
    return ec ? 0 : 64 * 1024;
  };
  asio::async_write(socket_, out_buffers_, std::move(progress),
                    [self = shared_from_this(), kind](beast::error_code ec, std::size_t) {
                      self->write_waiting_ = false;
                      self->on_write(ec, kind);
                    });
}

void session::on_write(beast::error_code ec, write_kind kind) {
  // Released, not kept for the next write: a slow stream would hold them between chunks.
  out_ = {};
  out_buffers_ = {};
  tell_writer(write_done_atom::value, !ec);
  if (ec)
    return do_close();
  switch (kind) {
    case write_kind::more:
      return;
    case write_kind::last_keep_alive:
      responding_ = false;
      if (!read_pending_)
        return do_read();
      // A pending watch read turns into the next request's read when bytes arrive. But a
      // pipelining client may already have sent the next request, and waits: parse it now.
      if (buffer_.size() > 0) {
        watch_cancelled_ = true;
        beast::error_code ignored;
        socket_.cancel(ignored);
      } else {
        arm_read_deadline(deadline_kind::idle);
      }
      return;
    case write_kind::last_close:
      responding_ = false;
      return linger_close();
  }
}

// -- the writer's timer -----------------------------------------------------------------------

// While a response is produced no read deadline runs: the timer serves the writer (its
// deadline, SSE heartbeats) and the send deadline of a write that waits for the client,
// armed for whichever is due first.
void session::set_timer(std::chrono::steady_clock::time_point due) {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this(), due] {
    self->writer_due_ = due;
    if (!self->closed_ && self->responding_)
      self->arm_response_timer();
  });
}

void session::cancel_timer() {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    self->writer_due_ = std::chrono::steady_clock::time_point::max();
    if (self->deadline_ == deadline_kind::response)
      self->arm_response_timer();
  });
}

void session::arm_response_timer() {
  auto due = writer_due_;
  auto send_timeout = std::chrono::milliseconds(shared_.cfg.send_timeout_ms);
  if (write_waiting_ && send_timeout.count() > 0)
    due = std::min(due, write_progress_ + send_timeout);
  if (due == std::chrono::steady_clock::time_point::max()) {
    if (deadline_ == deadline_kind::response) {
      deadline_ = deadline_kind::none;
      read_timer_.cancel();
    }
    return;
  }
  deadline_ = deadline_kind::response;
  read_timer_.expires_at(due);
  read_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->deadline_ == deadline_kind::response && !self->closed_)
      self->on_response_timer();
  });
}

// A late or stale wake-up does no harm: both deadlines are checked against the clock.
void session::on_response_timer() {
  deadline_ = deadline_kind::none;
  auto now = std::chrono::steady_clock::now();
  auto send_timeout = std::chrono::milliseconds(shared_.cfg.send_timeout_ms);
  if (write_waiting_ && send_timeout.count() > 0 && now - write_progress_ >= send_timeout) {
    // The client stopped reading: closing fails the write, and the writer ends the response
    // and frees its queue when it hears so.
    shared_.rt->stats.send_timeouts_total.fetch_add(1, std::memory_order_relaxed);
    return do_close();
  }
  if (now >= writer_due_) {
    writer_due_ = std::chrono::steady_clock::time_point::max();
    tell_writer(timer_atom::value);
  }
  arm_response_timer();
}

// -- closing ----------------------------------------------------------------------------------

void session::close() {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    if (!self->lingering_)  // a lingering close ends itself (EOF or the linger timer)
      self->do_close();
  });
}

void session::do_close() {
  if (closed_)
    return;
  closed_ = true;
  for (auto fd = native_fd_.load(std::memory_order_acquire);;) {  // see force_shutdown
    if (fd == fd_claimed)
      fd = native_fd_.load(std::memory_order_acquire);
    else if (native_fd_.compare_exchange_weak(fd, -1, std::memory_order_acq_rel))
      break;
  }
  beast::error_code ignored;
  read_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

// Half-close, then wait (bounded) for the client's EOF before closing: closing a socket with
// unread input sends a reset, which can destroy the response still in flight to the client.
void session::linger_close() {
  lingering_ = true;
  beast::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  // The read timer is free now: no request is read on a closing connection.
  deadline_ = deadline_kind::linger;
  read_timer_.expires_after(linger_time);
  read_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->deadline_ == deadline_kind::linger)
      self->do_close();
  });
  if (!read_pending_)
    do_drain();
}

// Reads what the socket holds without blocking (it is readable). Nothing to read means the
// peer closed: `ec` says so. What does not fit wakes the next wait at once (Asio re-arms the
// descriptor for every wait), so asking how much is there would only cost a syscall.
std::size_t session::read_available(beast::error_code& ec) {
  auto n = socket_.read_some(buffer_.prepare(read_size), ec);
  buffer_.commit(n);
  return n;
}

void session::do_drain() {
  read_pending_ = true;
  buffer_.clear();
  socket_.async_read_some(buffer_.prepare(read_size),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            self->read_pending_ = false;
                            if (ec || self->closed_)
                              return self->do_close();
                            self->do_drain();
                          });
}

} // namespace fastactor
