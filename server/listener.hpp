#pragma once
// listener: accepts connections and starts a session for each (Beast's async example shape).

#include "server/session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <future>
#include <memory>
#include <vector>

namespace fastactor {

class listener : public std::enable_shared_from_this<listener> {
public:
  /// Binds and listens at once; throws boost::system::system_error if it cannot. Accepts on
  /// `contexts`' first, and hands each connection to the next of them in turn (its I/O thread
  /// for good: see io_executor.hpp). `contexts` outlives the listener.
  listener(const std::vector<std::unique_ptr<boost::asio::io_context>>& contexts,
           const boost::asio::ip::tcp::endpoint& at, session_shared& shared);

  void run();
  /// Stops accepting (from any thread): the acceptor is closed on its strand. The future is
  /// ready once it is; from then on no session starts, and every one started before is in the
  /// registry. (An I/O thread blocked in a handler delays it.)
  std::future<void> stop();
  std::uint16_t port() const { return port_; }

private:
  void do_accept();
  void on_accept(boost::system::error_code ec, tcp_socket socket);
  void on_retry(boost::system::error_code ec);
  void reject(tcp_socket socket);
  /// A plain or a TLS session, as the server speaks.
  std::shared_ptr<session> make_session(tcp_socket socket);

  const std::vector<std::unique_ptr<boost::asio::io_context>>& contexts_;
  std::size_t next_context_ = 0;  ///< where the next connection goes
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  session_shared& shared_;
  /// Where the connection being accepted comes from: accept() says, so no getpeername per
  /// connection. One accept is under way at a time.
  boost::asio::ip::tcp::endpoint peer_;
  std::uint16_t port_ = 0;
};

}  // namespace fastactor
