#include "server/tls_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>
#include <sys/socket.h>
#include <utility>

namespace fastactor {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

/// OpenSSL's manual asks for an empty error queue before each call (SSL_get_error reads it).
/// ERR_clear_error walks the whole queue, which cost 4.5 % of an HTTPS /hello's CPU when it ran
/// before every call; looking first is cheap.
void clear_error_queue() {
  if (ERR_peek_error() != 0)
    ERR_clear_error();
}

}  // namespace

/// The BIO between OpenSSL and the connection's socket (MSG_DONTWAIT: never blocks, whatever
/// mode the socket is in). It asks the socket for its descriptor
/// on every call: a closed asio socket answers -1, so a late call fails (EBADF) instead of
/// reaching a descriptor that the kernel gave to another connection.
struct tls_socket_bio {
  static tls_stream& stream_of(BIO* bio) { return *static_cast<tls_stream*>(BIO_get_data(bio)); }

  static bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

  static int write(BIO* bio, const char* data, int size) {
    auto& stream = stream_of(bio);
    BIO_clear_retry_flags(bio);
    auto n = ::send(stream.socket_.native_handle(), data, static_cast<std::size_t>(size),
                    MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      stream.bytes_sent_ += static_cast<std::uint64_t>(n);
      return static_cast<int>(n);
    }
    if (would_block(errno))
      BIO_set_retry_write(bio);
    else
      stream.bio_errno_ = errno;
    return -1;
  }

  /// 0 is the client's EOF (no retry flag): OpenSSL tells a close_notify from a cut-off.
  static int read(BIO* bio, char* data, int size) {
    auto& stream = stream_of(bio);
    BIO_clear_retry_flags(bio);
    auto n =
      ::recv(stream.socket_.native_handle(), data, static_cast<std::size_t>(size), MSG_DONTWAIT);
    stream.socket_drained_ = n < size;
    if (n > 0)  // whatever read them (SSL_write too reads, mid-handshake), whole records may be in
      stream.read_blocked_ = false;
    if (n >= 0)
      return static_cast<int>(n);
    if (would_block(errno))
      BIO_set_retry_read(bio);
    else
      stream.bio_errno_ = errno;
    return -1;
  }

  /// The socket needs no flush; every other request (kTLS, ...) is refused.
  static long control(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

  static const BIO_METHOD* method() {
    static BIO_METHOD* const m = [] {
      auto* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "fastactor socket");
      if (!made || !BIO_meth_set_write(made, write) || !BIO_meth_set_read(made, read)
          || !BIO_meth_set_ctrl(made, control))
        throw std::runtime_error("OpenSSL: cannot make the socket BIO");
      return made;
    }();
    return m;
  }
};

tls_stream::tls_stream(tcp_socket& socket, SSL_CTX* context) : socket_(socket) {
  ssl_ = SSL_new(context);
  BIO* bio = ssl_ ? BIO_new(tls_socket_bio::method()) : nullptr;
  if (!bio) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways; SSL_free frees it
  SSL_set_accept_state(ssl_);
  // A record at a time (a write returns after each), buffers released whenever they are empty
  // (an idle connection holds none), and a read takes as much as the socket has, so that a
  // small request costs one recv, not one for the record's header and one for the rest.
  SSL_set_mode(ssl_,
               SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                 | SSL_MODE_RELEASE_BUFFERS);
  SSL_set_read_ahead(ssl_, 1);
}

// OpenSSL drops the session of a connection freed without a close_notify sent (SSL_free's
// ssl_clear_bad_session: a TLS 1.0 rule, lifted by TLS 1.1, RFC 4346 7.2.1) from the server's
// cache, so that a client without tickets could never resume after this server closed its
// connection (the server closes without a goodbye whenever the client went first). nginx
// marks every connection shut down before it frees it, and so does this: a session that ended
// in a fatal alert is dropped by OpenSSL anyway, when the alert is sent or received.
tls_stream::~tls_stream() {
  SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl_);
}

void tls_stream::handshake_step(error_code& ec) {
  clear_error_queue();
  bio_errno_ = 0;
  int ret = SSL_do_handshake(ssl_);
  ec = ret == 1 ? error_code{} : error_of(ret);
}

std::size_t tls_stream::read_some(asio::mutable_buffer into, error_code& ec) {
  ec = {};
  if (into.size() == 0)
    return 0;
  clear_error_queue();
  bio_errno_ = 0;
  int n =
    SSL_read(ssl_, into.data(), static_cast<int>(std::min<std::size_t>(into.size(), INT_MAX)));
  if (n > 0) {
    read_blocked_ = false;
    return static_cast<std::size_t>(n);
  }
  ec = error_of(n);
  read_blocked_ = ec == asio::error::would_block;
  read_wants_ = wants_;
  return 0;
}

std::size_t tls_stream::write_some(asio::const_buffer from, error_code& ec) {
  ec = {};
  if (from.size() == 0)
    return 0;
  clear_error_queue();
  bio_errno_ = 0;
  int n =
    SSL_write(ssl_, from.data(), static_cast<int>(std::min<std::size_t>(from.size(), INT_MAX)));
  if (n > 0)
    return static_cast<std::size_t>(n);
  ec = error_of(n);
  return 0;
}

void tls_stream::shutdown_step(error_code& ec) {
  clear_error_queue();
  bio_errno_ = 0;
  int ret = SSL_shutdown(ssl_);
  ec = ret >= 0 ? error_code{} : error_of(ret);  // 0: sent, the client's not (yet) received
}

error_code tls_stream::error_of(int ret) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ: wants_ = want::read; return asio::error::would_block;
    case SSL_ERROR_WANT_WRITE: wants_ = want::write; return asio::error::would_block;
    case SSL_ERROR_ZERO_RETURN: return asio::error::eof;  // the client's close_notify
    case SSL_ERROR_SYSCALL:
      if (int err = std::exchange(bio_errno_, 0))
        return {err, boost::system::system_category()};
      return asio::ssl::error::stream_truncated;  // EOF inside a record or before a goodbye
    default: break;
  }
  auto code = ERR_get_error();
  ERR_clear_error();
  if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return asio::ssl::error::stream_truncated;
  if (code == 0)
    return asio::error::fault;  // an SSL error that left no reason: never seen, still an error
  return {static_cast<int>(code), asio::error::get_ssl_category()};
}

}  // namespace fastactor
