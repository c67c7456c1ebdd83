#pragma once
// An attacker's socket: non-blocking, and it never blocks a test. Sends take what the kernel
// accepts within a wait; reads collect whatever arrived. It notices the server ending the
// connection (EOF, a reset, or a refused send). Over TLS it handshakes first, then sends and
// receives the same bytes through TLS.

#include "support/http_client.hpp"
#include "support/tls_client.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace testing {

class raw_socket {
public:
  using ms = std::chrono::milliseconds;

  /// Connects to 127.0.0.1:port (a `receive_buffer` > 0 makes the kernel's buffer small);
  /// with `tls`, handshakes within 5 s, or throws std::runtime_error saying why.
  raw_socket(std::uint16_t port, int receive_buffer, const std::optional<tls_options>& tls);
  ~raw_socket();
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  void close();

  /// Sends as much of `bytes` as the connection takes within `wait`: how much (see gone()).
  std::size_t send_some(std::string_view bytes, ms wait);

  /// Appends whatever arrives within `wait` to `into` (returns early once something came and
  /// nothing more is ready); notices EOF and resets.
  void receive(std::string& into, ms wait);

  /// The server ended the connection (EOF, reset, or a send it refused), and when.
  bool gone() const { return gone_; }
  clock_type::time_point gone_at() const { return gone_at_; }
  /// The server's end was read (EOF, reset, close_notify, or a TLS error).
  bool eof() const { return eof_; }

  /// The TLS connection; null over plain TCP.
  const tls_stream* tls() const { return tls_.get(); }

private:
  void mark_gone();

  int fd_ = -1;
  std::unique_ptr<tls_stream> tls_;
  bool eof_ = false;
  bool gone_ = false;
  clock_type::time_point gone_at_{};
};

}  // namespace testing
