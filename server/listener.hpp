#pragma once
// listener: accepts connections and starts a session for each (Beast's async example shape).

#include "server/session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <future>
#include <memory>

namespace fastactor {

class listener : public std::enable_shared_from_this<listener> {
public:
  /// Binds and listens at once; throws boost::system::system_error if it cannot.
  listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& at,
           session_shared& shared);

  void run();
  /// Stops accepting (from any thread): the acceptor is closed on its strand. The future is
  /// ready once it is; from then on no session starts, and every one started before is in the
  /// registry. (An I/O thread blocked in a handler delays it.)
  std::future<void> stop();
  std::uint16_t port() const { return port_; }

private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void on_retry(boost::system::error_code ec);
  void reject(boost::asio::ip::tcp::socket socket);
  /// A plain or a TLS session, as the server speaks.
  std::shared_ptr<session> make_session(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  session_shared& shared_;
  /// Where the connection being accepted comes from: accept() says, so no getpeername per
  /// connection. One accept is under way at a time.
  boost::asio::ip::tcp::endpoint peer_;
  std::uint16_t port_ = 0;
};

}  // namespace fastactor
