#pragma once
// The client side of TLS for tests: OpenSSL over a connected, non-blocking socket, with
// memory BIOs between the two. OpenSSL only ever reads and writes memory; this class moves the
// bytes between that memory and the socket itself, with poll() and deadlines. So a test never
// blocks beyond the wait it asked for, a partial write never has to be repeated with the same
// arguments (what OpenSSL demands of a socket BIO), and a test can see exactly what went over
// the wire.

#include "support/test_certs.hpp"

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace testing {

/// What a test client offers and checks. The defaults are a careful client's: the server's
/// certificate must chain to the test CA and name 127.0.0.1; TLS 1.2 or newer; ALPN http/1.1.
struct tls_options {
  std::string ca_file = test_certs::ca();  ///< trusted CAs (PEM); empty: no verification
  bool check_host = true;  ///< the certificate must name 127.0.0.1
  int min_version = TLS1_2_VERSION;  ///< 0: OpenSSL's oldest
  int max_version = 0;  ///< 0: the newest
  /// Security level 0 (OpenSSL's default, 1 and up, refuses TLS 1.0/1.1 on its own side: a
  /// client that is to offer them needs this).
  bool legacy = false;
  /// False: no session tickets (TLS 1.2 resumes by session ID, from the server's cache).
  bool tickets = true;
  std::vector<std::string> alpn = {"http/1.1"};  ///< offered, in order; empty: no ALPN at all
  std::string cert, key;  ///< a client certificate to present, if asked for one
  std::shared_ptr<SSL_SESSION> resume;  ///< a session of an earlier connection to resume
};

/// One client TLS connection over `fd` (connected; made non-blocking here, not owned).
class tls_stream {
public:
  using ms = std::chrono::milliseconds;

  tls_stream(int fd, const tls_options& options);
  ~tls_stream();
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  /// Runs the handshake for at most `wait`. False if it failed, the server closed, or the
  /// time ran out: error() says which.
  bool handshake(ms wait);

  /// Encrypts and sends up to `n` bytes, for at most `wait`: returns how many the connection
  /// took (at most one record of them may still wait in this object for the socket; the next
  /// call sends it first). Fewer than `n`: the time ran out, or broken().
  std::size_t write(const char* data, std::size_t n, ms wait);

  /// Appends at most `max` decrypted bytes to `into`, waiting at most `wait` for the first:
  /// how many; 0 if none came in time; -1 if the connection ended (close_notify, EOF, reset,
  /// a TLS error: see error()).
  int read(std::string& into, ms wait, std::size_t max = 64 * 1024);

  /// Says goodbye (close_notify), best effort.
  void close_notify();

  /// A send failed: the server is gone (reset, broken pipe).
  bool broken() const { return broken_; }
  /// Encrypted bytes wait here for the socket (a caller that polls should ask for POLLOUT).
  bool has_unsent() const { return !unsent_.empty() || BIO_ctrl_pending(out_) > 0; }
  /// Why the handshake or the connection failed (OpenSSL's reason, or what the socket saw).
  const std::string& error() const { return error_; }

  /// After the handshake: the negotiated protocol version ("TLSv1.3"), ALPN protocol ("" if
  /// none), whether the session was resumed, the session (to resume later), and the
  /// server certificate's subject.
  std::string version() const;
  std::string alpn() const;
  bool resumed() const;
  std::shared_ptr<SSL_SESSION> session() const;
  std::string peer_subject() const;
  /// The server asked for a client certificate (a CertificateRequest came).
  bool certificate_requested() const { return certificate_requested_; }

  SSL* native() const { return ssl_; }

private:
  bool flush(std::chrono::steady_clock::time_point until);  ///< false: time ran out or broken
  bool fill(std::chrono::steady_clock::time_point until);  ///< false: nothing came in time
  void note_openssl_error(int ret, const char* during);

  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;  ///< what came from the server, for OpenSSL to read (owned by ssl_)
  BIO* out_ = nullptr;  ///< what OpenSSL wrote, for the socket (owned by ssl_)
  std::string unsent_;  ///< taken from out_, not yet taken by the socket
  bool eof_ = false;  ///< the socket read EOF (or a reset)
  bool broken_ = false;
  bool closed_ = false;  ///< the server's close_notify arrived
  bool certificate_requested_ = false;
  std::string error_;
};

/// The first flight of a client handshake with `options`: a complete ClientHello record, as
/// the server would receive it.
std::string client_hello_bytes(const tls_options& options = {});

}  // namespace testing
