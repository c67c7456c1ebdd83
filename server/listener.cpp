#include "server/listener.hpp"

#include "protocol/access_log.hpp"
#include "protocol/response_head.hpp"
#include "server/bind_self.hpp"
#include "server/lingering_close.hpp"
#include "server/tls_context.hpp"
#include "server/tls_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdio>
#include <future>

#include <iostream>

namespace fastactor {

namespace asio = boost::asio;

using tcp = asio::ip::tcp;

listener::listener(const std::vector<std::unique_ptr<asio::io_context>>& contexts,
                   const tcp::endpoint& at, session_shared& shared)
  : contexts_(contexts), acceptor_(asio::make_strand(*contexts.front())),
    retry_timer_(acceptor_.get_executor()), shared_(shared) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() {
  asio::post(acceptor_.get_executor(), bind_self(&listener::do_accept, shared_from_this()));
}

std::future<void> listener::stop() {
  auto closed = std::make_shared<std::promise<void>>();
  auto done = closed->get_future();
  asio::post(acceptor_.get_executor(), [self = shared_from_this(), closed] {
    boost::system::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
    closed->set_value();
  });
  return done;
}

void listener::do_accept() {
  // A connection's handlers must never run concurrently: its io_context, run by one thread,
  // guarantees it (an implicit strand), so the connection needs no strand of its own.
  auto& context = *contexts_[next_context_];
  next_context_ = (next_context_ + 1) % contexts_.size();
  acceptor_.async_accept(context, peer_, bind_self(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(boost::system::error_code ec, tcp_socket socket) {
  if (!acceptor_.is_open() || ec == asio::error::operation_aborted)
    return;
  if (ec) {
    // E.g. out of file descriptors: back off briefly instead of spinning.
    std::cerr << "accept failed: " << ec.message() << '\n';
    retry_timer_.expires_after(std::chrono::milliseconds(50));
    retry_timer_.async_wait(bind_self(&listener::on_retry, shared_from_this()));
    return;
  }
  if (shared_.rt->stats.live_connections.load()
      >= static_cast<std::int64_t>(shared_.cfg.max_connections))
    reject(std::move(socket));
  else
    make_session(std::move(socket))->start(peer_);
  do_accept();
}

std::shared_ptr<session> listener::make_session(tcp_socket socket) {
  if (shared_.tls)
    return std::make_shared<tls_session>(std::move(socket), shared_, shared_.tls->current());
  return std::make_shared<session>(std::move(socket), shared_);
}

void listener::on_retry(boost::system::error_code ec) {
  if (!ec)
    do_accept();
}

namespace {

/// How long a rejected connection waits for the client's EOF after its 503 (see
/// lingering_close). Shorter than a session's: the 503 is one small segment, and a rejected
/// connection holds a descriptor beyond --max-connections while the server is already full.
constexpr auto rejection_linger_patience = std::chrono::seconds(1);

// A connection over the limit gets a fixed 503 and is closed; no session or writer is made
// for it, so a flood of connections costs the server next to nothing.
struct rejected_connection : std::enable_shared_from_this<rejected_connection> {
  rejected_connection(tcp_socket s, std::string_view server_name)
    : socket(std::move(s)), timer(socket.get_executor()), response(overload_response(server_name)) {
  }

  void run() {
    asio::async_write(socket, asio::buffer(response),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec)
                          return self->close();
                        self->linger();
                      });
  }

  // The 503 must not be lost to a reset.
  void linger() {
    lingering_close::start(socket, timer, rejection_linger_patience,
                           bind_self(&rejected_connection::close, shared_from_this()));
    lingering_close::drain(socket, asio::buffer(scratch),
                           bind_self(&rejected_connection::close, shared_from_this()));
  }

  void close() {
    boost::system::error_code ignored;
    timer.cancel();
    socket.close(ignored);
  }

  tcp_socket socket;
  io_timer timer;
  std::array<char, 1024> scratch{};
  std::string response;  ///< kept until the write is done
};

}  // namespace

void listener::reject(tcp_socket socket) {
  shared_.rt->stats.connections_rejected_total.fetch_add(1, std::memory_order_relaxed);
  if (shared_.cfg.access_log) {  // an access-log line, though no request was read
    auto who = peer_.address().to_string() + ":" + std::to_string(peer_.port());
    auto note = "over --max-connections=" + std::to_string(shared_.cfg.max_connections)
      + (shared_.tls ? ", closed before the TLS handshake (no 503 sent)" : "");
    access_log_entry entry;
    entry.peer = who;
    entry.sent = status::service_unavailable;
    entry.note = note;
    write_access_log(entry);
  }
  // A TLS client could read the 503 only after a handshake, which is the work a server this
  // full must not take on: it is closed at once.
  if (shared_.tls)
    return;
  std::make_shared<rejected_connection>(std::move(socket), shared_.cfg.server_name)->run();
}

}  // namespace fastactor
