#pragma once
// tls_session: a connection of an HTTPS server.
//
// The phases, deadlines and the talk with the writer are the plain session's; TLS is a
// transport below them (docs/design-notes.md), so this class only does the session's
// transport steps through OpenSSL (an asio::ssl::stream over the session's socket), and what
// only TLS has:
//
//   begin -> on_first_bytes -> (0x16: a TLS record) handshake -> on_handshake -> await_request
//                           -> (a letter: plain HTTP) answer_plain_http -> lingering close
//
// - The handshake runs under its own deadline (--tls-handshake-timeout-ms); every way it can
//   fail ends this connection alone and is counted (server_stats::tls).
// - A plain HTTP request on this port gets a readable plaintext 400, as nginx answers it,
//   instead of a TLS alert the user cannot read.
// - OpenSSL encrypts one buffer per record: a gathered write is coalesced first, so that a
//   chunk's size line, data and CRLF go out as one record, not three.
// - The watch reads through OpenSSL (a socket that is readable may hold only part of a record,
//   and a record may hold more than one read asks for), so it keeps a read buffer while a
//   response streams; a plain connection does not.
// - A lingering close says goodbye first (close_notify), so the client can tell the end of the
//   response from a cut-off, then drains as a plain one does.
// - However the connection ended, its TLS session stays resumable (see the destructor).

#include "server/session.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>

namespace fastactor {

class tls_session final : public session {
public:
  /// `context` is the one the server had when the connection came (kept: a reload may
  /// replace the server's).
  tls_session(boost::asio::ip::tcp::socket socket, session_shared& shared,
              std::shared_ptr<boost::asio::ssl::context> context);
  ~tls_session() override;

private:
  void begin() override;
  void start_header_read() override;
  void start_body_read() override;
  void start_continue_write() override;
  void start_watch() override;
  bool start_write(write_kind kind, bool at_once_ok) override;
  void start_linger() override;
  void drain() override;

  void wait_for_first_bytes();
  void on_first_bytes(boost::beast::error_code ec);
  void on_handshake(boost::beast::error_code ec);
  void answer_plain_http();
  void on_plain_http_answered(boost::beast::error_code ec, std::size_t);
  void handshake_failed(std::atomic<std::uint64_t>& reason);
  void on_watch_read(boost::beast::error_code ec, std::size_t n);
  void on_goodbye(boost::beast::error_code ec);

  std::shared_ptr<tls_session> self();

  std::shared_ptr<boost::asio::ssl::context> context_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> stream_;
};

}  // namespace fastactor
