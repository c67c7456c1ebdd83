#include "server/tls_session.hpp"

#include "protocol/access_log.hpp"
#include "protocol/response_head.hpp"
#include "server/bind_self.hpp"
#include "server/lingering_close.hpp"
#include "server/request_reader.hpp"

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

tls_session::tls_session(asio::ip::tcp::socket socket, session_shared& shared,
                         std::shared_ptr<ssl::context> context)
  : session(std::move(socket), shared), context_(std::move(context)), stream_(socket_, *context_) {}

// OpenSSL drops the session of a connection freed without a close_notify sent (SSL_free's
// ssl_clear_bad_session: a TLS 1.0 rule, lifted by TLS 1.1, RFC 4346 7.2.1) from the server's
// cache, so that a client without tickets could never resume after this server closed its
// connection (the server closes without a goodbye whenever the client went first). nginx
// marks every connection shut down before it frees it, and so does this: a session that ended
// in a fatal alert is dropped by OpenSSL anyway, when the alert is sent or received.
tls_session::~tls_session() {
  SSL_set_shutdown(stream_.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
}

std::shared_ptr<tls_session> tls_session::self() {
  return std::static_pointer_cast<tls_session>(shared_from_this());
}

// -- the handshake ----------------------------------------------------------------------------

void tls_session::begin() {
  if (phase_ == phase::closed)
    return;
  phase_ = phase::handshaking;
  arm_read_deadline();  // the whole handshake, first byte included, within its deadline
  wait_for_first_bytes();
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
  stream_.async_handshake(ssl::stream_base::server, bind_self(&tls_session::on_handshake, self()));
}

void tls_session::on_handshake(beast::error_code ec) {
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
  out_ = {};
  if (ec || phase_ == phase::closed)
    return do_close();
  // The request is still unread in the socket: a plain lingering close, no TLS goodbye.
  session::start_linger();
  session::drain();
}

// -- the transport steps ----------------------------------------------------------------------

void tls_session::start_header_read() {
  http::async_read_header(stream_, buffer_, reading_->parser(),
                          bind_self(&tls_session::on_header, shared_from_this()));
}

void tls_session::start_body_read() {
  http::async_read(stream_, buffer_, reading_->parser(),
                   bind_self(&tls_session::on_read, shared_from_this()));
}

void tls_session::start_continue_write() {
  asio::async_write(stream_, asio::buffer(continue_response()),
                    [self = self()](beast::error_code ec, std::size_t) {
                      if (ec)
                        return self->peer_gone();
                      self->do_read_body();
                    });
}

void tls_session::start_watch() {
  stream_.async_read_some(buffer_.prepare(read_size),
                          bind_self(&tls_session::on_watch_read, self()));
}

void tls_session::on_watch_read(beast::error_code ec, std::size_t n) {
  buffer_.commit(n);
  // A lingering close cancels the watch to say goodbye (start_linger): the client is there.
  if (ec == asio::error::operation_aborted && phase_ == phase::lingering)
    ec = {};
  on_watched(ec);
}

// One record per part would cost a record header and a send per part (a chunk's size line,
// its data and its CRLF are three parts): parts are coalesced into one buffer, which OpenSSL
// then cuts into records of at most 16 KiB. Every write waits for its completion (OpenSSL
// cannot finish a record later if the socket takes it only in part), so each gets the send
// deadline (and so never completes at once).
bool tls_session::start_write(write_kind kind, bool /*at_once_ok*/) {
  if (out_.size() > 1) {
    std::size_t total = 0;
    for (const auto& part : out_)
      total += part.size();
    std::string flat;
    flat.reserve(total);
    for (const auto& part : out_)
      flat += part;
    out_.assign(1, std::move(flat));
  }
  out_buffers_.clear();
  if (!out_.empty())
    out_buffers_.emplace_back(asio::buffer(out_.front()));
  write_waiting_ = true;
  write_progress_ = std::chrono::steady_clock::now();
  arm_response_timer();
  asio::async_write(stream_, out_buffers_, write_progress{shared_from_this()},
                    bind_self(&tls_session::on_write_rest, shared_from_this(), kind));
  return false;
}

// OpenSSL cannot say goodbye while a read is pending on the stream: the watch is cancelled
// and its completion starts the drain (on_watched), which says it.
void tls_session::start_linger() {
  timer_taken();
  lingering_close::arm_patience(timer_, linger_patience,
                                bind_self(&tls_session::do_close, shared_from_this()));
  if (read_pending_) {
    beast::error_code ignored;
    socket_.cancel(ignored);
  }
}

// close_notify first (the client learns the response ended and was not cut off), then the
// plain lingering close. async_shutdown also waits for the client's close_notify, which most
// clients never send: they close, and the wait ends with EOF.
void tls_session::drain() {
  buffer_.clear();
  buffer_.shrink_to_fit();
  stream_.async_shutdown(bind_self(&tls_session::on_goodbye, self()));
}

void tls_session::on_goodbye(beast::error_code) {
  if (phase_ == phase::closed)
    return;
  beast::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  session::drain();
}

}  // namespace fastactor
