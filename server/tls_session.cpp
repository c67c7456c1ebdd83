#include "server/tls_session.hpp"

#include "protocol/access_log.hpp"
#include "protocol/release_memory.hpp"
#include "protocol/response_head.hpp"
#include "server/bind_self.hpp"
#include "server/lingering_close.hpp"
#include "server/request_reader.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <cerrno>
#include <sys/socket.h>

namespace fastactor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

namespace {

/// Every TLS connection begins with a handshake record (RFC 8446 5.1, content type 22).
constexpr unsigned char tls_handshake_record = 0x16;

/// Every HTTP/1.x request begins with a method: an upper-case token (`GET`, `POST`, ...).
bool begins_like_http(unsigned char first) {
  return first >= 'A' && first <= 'Z';
}

/// The client closed: at a record boundary (EOF) or inside one (truncated).
bool client_closed(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == ssl::error::stream_truncated
    || ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

tls_session::tls_session(tcp_socket socket, session_shared& shared,
                         std::shared_ptr<ssl::context> context)
  : session(std::move(socket), shared), context_(std::move(context)),
    stream_(socket_, context_->native_handle()) {}

std::shared_ptr<tls_session> tls_session::self() {
  return std::static_pointer_cast<tls_session>(shared_from_this());
}

// -- the handshake ----------------------------------------------------------------------------

void tls_session::begin() {
  if (phase_ == phase::closed)
    return;
  phase_ = phase::handshaking;
  arm_read_deadline();  // the whole handshake, first byte included, within its deadline
  // A client sends its ClientHello as soon as it is connected, so it has most often arrived
  // with the connection: looked at once, it costs one peek, where a wait first costs a wait,
  // a wake-up and the peek (and, when it is not there yet, the peek finds nothing and waits).
  on_first_bytes({});
}

// The first byte tells a TLS client from a plain HTTP one; it is peeked at, not read, so
// OpenSSL still sees the whole ClientHello.
void tls_session::wait_for_first_bytes() {
  read_pending_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     bind_self(&tls_session::on_first_bytes, self()));
}

void tls_session::on_first_bytes(beast::error_code ec) {
  read_pending_ = false;
  if (phase_ == phase::closed)
    return;
  // The deadline may pass just as the first bytes arrive: then they are too late.
  if (ec || deadline_passed_)
    return handshake_failed(deadline_passed_ ? shared_.rt->stats.tls.timeouts_total
                                             : shared_.rt->stats.tls.client_gone_total);
  unsigned char first = 0;
  auto n = ::recv(socket_.native_handle(), &first, 1, MSG_PEEK);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return wait_for_first_bytes();  // woken for nothing
  if (n <= 0)
    return handshake_failed(shared_.rt->stats.tls.client_gone_total);
  if (first != tls_handshake_record && begins_like_http(first))
    return answer_plain_http();
  // Anything else is OpenSSL's to judge (garbage fails the handshake with an alert).
  read_pending_ = true;
  stream_.async_handshake(bind_self(&tls_session::on_handshake, self()));
}

void tls_session::on_handshake(beast::error_code ec, std::size_t) {
  read_pending_ = false;
  bool timed_out = std::exchange(deadline_passed_, false);
  disarm_read_deadline();
  if (phase_ == phase::closed)
    return;
  auto& tls = shared_.rt->stats.tls;
  if (ec)
    return handshake_failed(timed_out             ? tls.timeouts_total
                              : client_closed(ec) ? tls.client_gone_total
                                                  : tls.errors_total);
  tls.handshakes_total.fetch_add(1, std::memory_order_relaxed);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_size = 0;
  SSL_get0_alpn_selected(stream_.native_handle(), &alpn, &alpn_size);
  if (std::string_view{reinterpret_cast<const char*>(alpn), alpn_size} == "h2")
    return start_http2();
  await_request();
}

// No request was read: the writer is told the client is gone, and closes the connection.
void tls_session::handshake_failed(std::atomic<std::uint64_t>& reason) {
  reason.fetch_add(1, std::memory_order_relaxed);
  disarm_read_deadline();
  peer_gone();
}

// The answer is the connection's last response, written here since the writer knows no
// request; the writer is told the client is gone (and its close waits for the lingering
// close, as after any last response).
void tls_session::answer_plain_http() {
  shared_.rt->stats.tls.plain_http_total.fetch_add(1, std::memory_order_relaxed);
  disarm_read_deadline();
  phase_ = phase::lingering;
  tell_writer(closed_atom::value);
  if (shared_.cfg.access_log) {
    access_log_entry entry;
    entry.peer = peer_;
    entry.sent = status::bad_request;
    entry.note = "plain HTTP on the HTTPS port";
    write_access_log(entry);
  }
  out_ = {plain_http_on_tls_response(shared_.cfg.server_name)};
  asio::async_write(socket_, asio::buffer(out_.front()),
                    bind_self(&tls_session::on_plain_http_answered, self()));
}

void tls_session::on_plain_http_answered(beast::error_code ec, std::size_t) {
  release_memory(out_);
  if (ec || phase_ == phase::closed)
    return do_close();
  // The request is still unread in the socket: a plain lingering close, no TLS goodbye.
  session::start_linger();
  session::drain();
}

// -- the transport steps ----------------------------------------------------------------------

void tls_session::start_header_read() {
  http::async_read_header(stream_, buffer_, reading_->parser(),
                          bind_self(&tls_session::on_header_read, shared_from_this()));
}

void tls_session::start_body_read() {
  http::async_read(stream_, buffer_, reading_->parser(),
                   bind_self(&tls_session::on_body_read, shared_from_this()));
}

void tls_session::start_continue_write() {
  asio::async_write(stream_, asio::buffer(continue_response()),
                    [self = self()](beast::error_code ec, std::size_t) {
                      if (ec)
                        return self->peer_gone();
                      self->do_read_body();
                    });
}

// Records OpenSSL read ahead are there already: no wait, no wake-up would come for them. A
// read that has to send first waits until the socket takes bytes again.
void tls_session::start_watch() {
  if (stream_.has_buffered_records())
    return asio::post(socket_.get_executor(), [self = self()] { self->on_watch({}); });
  if (stream_.read_waits_for_write())
    return socket_.async_wait(asio::ip::tcp::socket::wait_write,
                              bind_self(&tls_session::on_watch, shared_from_this()));
  wait_readable();  // OpenSSL reads the socket: nothing can be read past it
}

// At most read_size bytes per wake-up, as a plain connection reads: what a client sent is taken
// in bites of the same size over both transports (an HTTP/2 flood is checked after each), and
// what OpenSSL keeps back wakes the next watch at once (start_watch). A bite may span records:
// a client that sends tiny records must not get a wake-up, a parse and a flush per record. It
// ends once the socket is drained: asking again would cost a recv that finds nothing (one per
// keep-alive request), and what comes later wakes the next watch. A lingering connection reads
// nothing through OpenSSL: the drain discards the raw bytes.
void tls_session::read_available(beast::error_code& ec) {
  if (phase_ == phase::lingering)
    return;
  std::size_t got = 0;
  while (got < read_size) {
    auto n = stream_.read_some(buffer_.prepare(read_size - got), ec);
    buffer_.commit(n);
    got += n;
    if (ec || stream_.drained())
      break;
  }
  if (got > 0 && ec == asio::error::would_block)
    ec = {};
}

// -- writing: a record at a time ----------------------------------------------------------------

namespace {

/// The most a TLS record carries (RFC 8446 5.1).
constexpr std::size_t record_max = 16 * 1024;

}  // namespace

// Records go to the socket as OpenSSL makes them. Most writes fit into the socket's buffer
// and complete here, as on a plain connection; one that waits for the client goes on as the
// socket takes it, under the send deadline (see write_records for what counts as progress).
bool tls_session::start_write(write_kind kind, bool at_once_ok) {
  part_ = offset_ = 0;
  record_ = {};
  beast::error_code ec;
  bool done = write_records(ec);
  if (done && at_once_ok) {
    done_gathering(kind);
    release_write();
    after_write(kind);
    return true;
  }
  if (done || ec != asio::error::would_block) {
    done_gathering(kind);
    asio::post(socket_.get_executor(),
               bind_self(&tls_session::on_write, shared_from_this(), ec, kind));
    return false;
  }
  write_waiting_ = true;
  write_progress_ = std::chrono::steady_clock::now();
  arm_response_timer();
  stream_.async_wait(bind_self(&tls_session::on_writable, self(), kind));
  return false;
}

void tls_session::on_writable(write_kind kind, beast::error_code ec) {
  if (!ec) {
    bool done = write_records(ec);
    if (!done && ec == asio::error::would_block)
      return stream_.async_wait(bind_self(&tls_session::on_writable, self(), kind));
  }
  done_gathering(kind);
  on_write_rest(kind, ec, 0);
}

// A stream's records reuse one buffer; a response's last write gives it back, so that an idle
// keep-alive connection does not hold up to a record (16 KiB) between requests, as nginx frees
// its SSL buffer on an idle connection.
void tls_session::done_gathering(write_kind kind) {
  if (kind == write_kind::more)
    gathered_.clear();
  else
    release_memory(gathered_);
}

// HTTP/2 writes are all `more`: its connection gives the buffer back when no response is under
// way and nothing is left to write.
void tls_session::output_idle() {
  release_memory(gathered_);
}

// True once every part is out; false with `ec` set (would_block: the socket is full).
// Progress for the send deadline is any byte the socket took, part of a record included, as
// on a plain connection.
bool tls_session::write_records(beast::error_code& ec) {
  auto taken = stream_.bytes_sent();
  for (;;) {
    if (record_.size() == 0)
      record_ = next_record();
    if (record_.size() == 0)
      break;
    auto sent = stream_.write_some(record_, ec);
    if (ec)
      break;
    record_ += sent;
  }
  if (write_waiting_ && stream_.bytes_sent() != taken)
    write_progress_ = std::chrono::steady_clock::now();
  return !ec;
}

// A part of a record's size or more is sent from where it is; smaller parts are gathered into
// one record (one copy, as nginx makes into its ssl_buffer), which costs less than a record
// and a send each.
asio::const_buffer tls_session::next_record() {
  while (part_ < out_.size() && offset_ == out_[part_].size()) {
    ++part_;
    offset_ = 0;
  }
  if (part_ == out_.size())
    return {};
  const auto& part = out_[part_];
  if (part.size() - offset_ >= record_max || part_ + 1 == out_.size()) {
    auto size = std::min(part.size() - offset_, record_max);
    asio::const_buffer whole{part.data() + offset_, size};
    offset_ += size;
    return whole;
  }
  gathered_.clear();
  while (part_ < out_.size() && gathered_.size() < record_max) {
    const auto& next = out_[part_];
    auto take = std::min(next.size() - offset_, record_max - gathered_.size());
    gathered_.append(next, offset_, take);
    offset_ += take;
    if (offset_ == next.size()) {
      ++part_;
      offset_ = 0;
    }
  }
  return asio::buffer(gathered_);
}

// close_notify first, so that the client learns the response ended and was not cut off; then
// the plain lingering close. The goodbye is best effort: a socket too full to take its 24
// bytes belongs to a client that is not reading anyway.
void tls_session::start_linger() {
  beast::error_code ignored;
  stream_.shutdown_step(ignored);
  session::start_linger();
}

}  // namespace fastactor
