#pragma once
// tls_session: a connection of an HTTPS server.
//
// The phases, deadlines and the talk with the writer are the plain session's; TLS is a
// transport below them (docs/design-notes.md), so this class only does the session's
// transport steps through OpenSSL (a tls_stream on the session's socket), and what only TLS
// has:
//
//   begin -> on_first_bytes -> (0x16: a TLS record) handshake -> on_handshake -> await_request
//                           -> (a letter: plain HTTP) answer_plain_http -> lingering close
//
// - The handshake runs under its own deadline (--tls-handshake-timeout-ms); every way it can
//   fail ends this connection alone and is counted (server_stats::tls).
// - A plain HTTP request on this port gets a readable plaintext 400, as nginx answers it,
//   instead of a TLS alert the user cannot read.
// - A write goes out a record at a time, each as full as the parts allow (a chunk's size
//   line, data and CRLF share a record instead of taking three); most writes complete at
//   once, as a plain socket's do.
// - The watch waits for the socket as a plain one does, holding no buffer, unless OpenSSL
//   already holds bytes it read ahead.
// - A lingering close says goodbye first (close_notify), so the client can tell the end of the
//   response from a cut-off, then drains as a plain one does.
// - However the connection ended, its TLS session stays resumable (see tls_stream).

#include "server/session.hpp"
#include "server/tls_stream.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace fastactor {

class tls_session final : public session {
public:
  /// `context` is the one the server had when the connection came (kept: a reload may
  /// replace the server's).
  tls_session(tcp_socket socket, session_shared& shared,
              std::shared_ptr<boost::asio::ssl::context> context);

private:
  void begin() override;
  void start_header_read() override;
  void start_body_read() override;
  void start_continue_write() override;
  void start_watch() override;
  void read_available(boost::beast::error_code& ec) override;
  bool start_write(write_kind kind, bool at_once_ok) override;
  void start_linger() override;
  void output_idle() override;

  void wait_for_first_bytes();
  void on_first_bytes(boost::beast::error_code ec);
  void on_handshake(boost::beast::error_code ec, std::size_t);
  void answer_plain_http();
  void on_plain_http_answered(boost::beast::error_code ec, std::size_t);
  void handshake_failed(std::atomic<std::uint64_t>& reason);

  bool write_records(boost::beast::error_code& ec);
  boost::asio::const_buffer next_record();
  void on_writable(write_kind kind, boost::beast::error_code ec);
  void done_gathering(write_kind kind);

  std::shared_ptr<tls_session> self();

  std::shared_ptr<boost::asio::ssl::context> context_;
  tls_stream stream_;
  // The write in flight (out_), a record at a time:
  std::size_t part_ = 0;  ///< the part the next record begins in
  std::size_t offset_ = 0;  ///< and where in it
  /// The record OpenSSL is sending. A record OpenSSL could not send whole must be offered
  /// again as it was, so it stays until it is out.
  boost::asio::const_buffer record_;
  /// A record made of several parts; its memory is kept while a response streams and given
  /// back with the response's last write (done_gathering).
  std::string gathered_;
};

}  // namespace fastactor
