#pragma once
// A small blocking HTTP/1.1 client over a real TCP socket, for tests. It sends raw bytes
// and parses responses itself (Content-Length, chunked with trailers, or until close), and
// records when each piece of body arrived, so tests can see streaming as a client does.
// It speaks plain HTTP or HTTPS (support/transport.hpp): the same calls either way.

#include "support/transport.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace testing {

using clock_type = std::chrono::steady_clock;

struct http_response {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::map<std::string, std::string> trailers;  ///< names lower-cased
  std::string body;
  bool chunked = false;
  bool complete = false;  ///< false: the connection ended before the response did (cut-off)
  std::vector<std::pair<clock_type::time_point, std::string>> arrivals;  ///< body pieces

  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

class http_client {
public:
  /// Connects to 127.0.0.1:port; every read gives up after `timeout`. A `receive_buffer`
  /// (bytes, 0 = the system's) makes a slow reader's kernel buffer small. Plain or TLS as the
  /// environment says (transport::from_environment).
  explicit http_client(std::uint16_t port,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       int receive_buffer = 0);
  /// The same over `how`. With TLS the handshake is done here, within `timeout`; a failed
  /// one throws std::runtime_error with OpenSSL's reason.
  http_client(std::uint16_t port, const transport& how,
              std::chrono::milliseconds timeout = std::chrono::seconds(10), int receive_buffer = 0);
  ~http_client();

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  void send(const std::string& bytes);
  /// Sends "GET target HTTP/1.1" with Host (and any extra header lines, each ending CRLF).
  void send_get(const std::string& target, const std::string& extra_headers = {});
  /// Reads one response (to a HEAD request if `head`).
  http_response read_response(bool head = false);
  /// Both of the above.
  http_response get(const std::string& target, const std::string& extra_headers = {});

  /// True if the server closed the connection (reads EOF within `wait`).
  bool closed_by_peer(std::chrono::milliseconds wait = std::chrono::seconds(5));
  /// Closes the socket at once (a client that vanishes; over TLS, without a goodbye).
  void close();
  /// Half-closes: the server reads EOF (over TLS, a close_notify first), the client can
  /// still read.
  void shutdown_send();
  /// Reads whatever arrives within `wait` (for tests that expect nothing).
  std::string read_available(std::chrono::milliseconds wait);
  /// Reads at most `n` bytes, waiting up to `wait`; returns how many (-1: connection gone).
  int read_some(std::size_t n, std::chrono::milliseconds wait);

  /// The TLS connection (its version, ALPN, session, certificate); null for plain HTTP.
  const tls_stream* tls() const { return tls_.get(); }

private:
  bool fill();  ///< reads more into buffer_; false on EOF/error/timeout
  int recv_some(int wait_ms);  ///< bytes appended, 0 on timeout, -1 on EOF/error
  std::optional<std::string> read_line();
  bool read_fields(std::map<std::string, std::string>& into);  ///< a header or trailer block
  bool read_exact(std::size_t n, std::string& out, http_response& r);

  int fd_ = -1;
  std::unique_ptr<tls_stream> tls_;  ///< null: plain TCP
  std::string buffer_;
  std::chrono::milliseconds timeout_;
};

/// A TCP socket connected to 127.0.0.1:port with TCP_NODELAY (and a small receive buffer if
/// `receive_buffer` > 0); throws if the connection fails.
int connect_loopback(std::uint16_t port, int receive_buffer = 0);

/// One GET on a fresh connection (plain or TLS as the environment says).
http_response http_get(std::uint16_t port, const std::string& target);
/// One GET on a fresh connection over `how`.
http_response http_get(std::uint16_t port, const transport& how, const std::string& target);

/// This process's resident memory (VmRSS) in KiB.
long resident_kib();

/// The time from `a` to `b` in ms.
inline double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace testing
