#include "server/listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <iostream>

namespace fastactor {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

listener::listener(asio::io_context& ioc, const tcp::endpoint& at, session_shared& shared)
  : ioc_(ioc), acceptor_(asio::make_strand(ioc)), retry_timer_(acceptor_.get_executor()),
    shared_(shared) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
  });
}

void listener::do_accept() {
  // Each connection gets a strand of its own: its handlers never run concurrently, even
  // with several I/O threads.
  acceptor_.async_accept(asio::make_strand(ioc_),
                         [self = shared_from_this()](boost::system::error_code ec,
                                                     tcp::socket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open() || ec == asio::error::operation_aborted)
    return;
  if (ec) {
    // E.g. out of file descriptors: back off briefly instead of spinning.
    std::cerr << "accept failed: " << ec.message() << '\n';
    retry_timer_.expires_after(std::chrono::milliseconds(50));
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec)
        self->do_accept();
    });
    return;
  }
  std::make_shared<session>(std::move(socket), shared_)->start();
  do_accept();
}

} // namespace fastactor
