#pragma once
// lingering_close: how a connection that has sent its last response ends.
//
// Closing a socket that still has unread input makes the kernel answer with a reset, and a
// reset can destroy the response still on its way to the client (it discards what the
// client has received but not yet read). So the server half-closes instead, reads and
// discards whatever the client still sends until the client closes its side too, and closes
// then — or once its patience is over, whichever comes first.
//
// Two steps, because a session may still have a read pending when its last response is
// out: that read ends first, then the drain starts (`drain`). The owner keeps the socket,
// the timer and the scratch buffer alive (its handler, `close`, holds the owner) and closes
// the socket in `close`, which may be called more than once.

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <utility>

namespace fastactor::lingering_close {

/// The patience alone, for a transport that has to say goodbye before it half-closes (TLS
/// sends its close_notify first).
template <class Timer, class Close>
void arm_patience(Timer& timer, std::chrono::steady_clock::duration patience, Close close) {
  timer.expires_after(patience);
  timer.async_wait([close = std::move(close)](boost::system::error_code ec) mutable {
    if (!ec)
      close();
  });
}

/// Half-closes `socket` and calls `close()` once `patience` is over (unless `timer` is
/// cancelled, as closing does). The socket still has to be drained: see `drain`.
template <class Socket, class Timer, class Close>
void start(Socket& socket, Timer& timer, std::chrono::steady_clock::duration patience,
           Close close) {
  boost::system::error_code ignored;
  socket.shutdown(Socket::shutdown_send, ignored);
  arm_patience(timer, patience, std::move(close));
}

/// Reads and discards into `scratch` until the client's EOF or an error (closing the socket
/// is one), then calls `close()`.
template <class Socket, class Close>
void drain(Socket& socket, boost::asio::mutable_buffer scratch, Close close) {
  socket.async_read_some(scratch,
                         [&socket, scratch, close = std::move(close)](boost::system::error_code ec,
                                                                      std::size_t) mutable {
                           if (ec)
                             return close();
                           drain(socket, scratch, std::move(close));
                         });
}

}  // namespace fastactor::lingering_close
