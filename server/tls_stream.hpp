#pragma once
// tls_stream: TLS on a connection's own socket, with OpenSSL reading and writing that socket.
//
// Asio's ssl::stream puts a BIO pair between OpenSSL and the socket. Every byte is copied
// through the pair, and each connection keeps about 68 KiB of buffers for its whole life (the
// pair plus two staging vectors): 77 KiB per idle HTTPS connection against nginx's 18. Here
// OpenSSL's records go straight to the socket through a small BIO of our own. It uses send and
// recv with MSG_NOSIGNAL, because a peer that is gone must not raise SIGPIPE (OpenSSL's socket
// BIO calls write()). With SSL_MODE_RELEASE_BUFFERS, an idle connection holds no record buffer.
//
// The non-blocking steps (`handshake_step`, `read_some`, `write_some`, `shutdown_step`) return
// `would_block` when OpenSSL needs the socket; `wants()` then says whether it needs to read or
// to write, and `async_wait` waits for that. The async operations are those steps in a loop,
// so Beast's composed reads work on this stream as they do on a socket.
//
// It is used by one thread at a time (the session's strand). One read and one write may be
// pending at once, as on a socket.

#include "server/io_executor.hpp"

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace fastactor {

class tls_stream {
public:
  using executor_type = io_executor;

  /// A server-side connection on `socket` (which must outlive this) with `context`'s settings.
  tls_stream(tcp_socket& socket, SSL_CTX* context);
  ~tls_stream();
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  SSL* native_handle() { return ssl_; }

  /// What the last step that returned `would_block` needs before it can go on.
  enum class want : std::uint8_t { read, write };
  want wants() const { return wants_; }

  /// Bytes the socket has taken so far: progress, even while a record is only partly out.
  std::uint64_t bytes_sent() const { return bytes_sent_; }

  /// OpenSSL may hold whole records it read ahead (with the handshake's last flight, or past
  /// a reader's buffer): a wait for the socket would not see them. Once a read found it needs
  /// the socket, what OpenSSL holds is part of a record at most, and only the socket brings
  /// the rest (asking again would spin).
  bool has_buffered_records() const { return !read_blocked_ && SSL_has_pending(ssl_) == 1; }
  /// The socket's last receive took all it had (less than OpenSSL asked for, which with read
  /// ahead is a whole buffer), and OpenSSL holds nothing more: another read_some would only
  /// find the socket empty. Bytes that arrive meanwhile wake the next wait.
  bool drained() const { return socket_drained_ && SSL_has_pending(ssl_) == 0; }
  /// The last read_some could not go on until the socket could be written (OpenSSL had to
  /// send something first, e.g. an answer to a key update, and the socket was full).
  bool read_waits_for_write() const { return read_blocked_ && read_wants_ == want::write; }

  // -- the non-blocking steps -----------------------------------------------------------------
  /// Advances the handshake; done when `ec` is clear.
  void handshake_step(boost::system::error_code& ec);
  /// Decrypted bytes into `into`: at most one record's worth.
  std::size_t read_some(boost::asio::mutable_buffer into, boost::system::error_code& ec);
  /// Encrypts `from` as one record (at most 16 KiB of it) and sends it.
  std::size_t write_some(boost::asio::const_buffer from, boost::system::error_code& ec);
  /// Sends close_notify (it does not wait for the client's).
  void shutdown_step(boost::system::error_code& ec);

  /// Calls `handler(ec)` once the socket is ready for what the last step wants.
  template <class Handler>
  void async_wait(Handler&& handler) {
    socket_.async_wait(wants_ == want::write ? boost::asio::ip::tcp::socket::wait_write
                                             : boost::asio::ip::tcp::socket::wait_read,
                       std::forward<Handler>(handler));
  }

  // -- the asynchronous operations: handler(error_code, std::size_t) --------------------------
  template <class Handler>
  auto async_handshake(Handler&& handler) {
    return run(
      [this](boost::system::error_code& ec) -> std::size_t {
        handshake_step(ec);
        return 0;
      },
      std::forward<Handler>(handler));
  }

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    auto into = first_buffer<boost::asio::mutable_buffer>(buffers);
    return run([this, into](boost::system::error_code& ec) { return read_some(into, ec); },
               std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    auto from = first_buffer<boost::asio::const_buffer>(buffers);
    return run([this, from](boost::system::error_code& ec) { return write_some(from, ec); },
               std::forward<Handler>(handler));
  }

private:
  /// A step, retried whenever the socket is ready, until it is done or fails. A step done at
  /// once completes through a post, as a socket's operation would: a composed read that
  /// finds bytes waiting must not recurse once per record.
  template <class Step>
  struct operation {
    tls_stream& stream;
    Step step;
    bool waited = false;
    bool posted = false;
    std::size_t done = 0;
    boost::system::error_code result;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (posted)
        return self.complete(result, done);
      if (ec)  // the wait failed: cancelled (a deadline) or the socket closed
        return self.complete(ec, 0);
      done = step(ec);
      if (ec == boost::asio::error::would_block) {
        waited = true;
        return stream.async_wait(std::move(self));
      }
      if (waited)
        return self.complete(ec, done);
      posted = true;
      result = ec;
      boost::asio::post(stream.get_executor(), std::move(self));
    }
  };

  template <class Step, class Handler>
  auto run(Step step, Handler&& handler) {
    return boost::asio::async_compose<std::decay_t<Handler>,
                                      void(boost::system::error_code, std::size_t)>(
      operation<Step>{*this, std::move(step)}, handler, socket_);
  }

  /// A step uses one buffer (a record is written or read at a time): the first non-empty one.
  template <class Buffer, class Buffers>
  static Buffer first_buffer(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Buffer b(*it);
      if (b.size() > 0)
        return b;
    }
    return Buffer{};
  }

  /// What a failed OpenSSL call (returning `ret`) means, as an error code.
  boost::system::error_code error_of(int ret);

  friend struct tls_socket_bio;
  tcp_socket& socket_;
  SSL* ssl_ = nullptr;
  want wants_ = want::read;
  int bio_errno_ = 0;  ///< the errno of the BIO's failed send or recv in the current step
  std::uint64_t bytes_sent_ = 0;  ///< what the socket took, records in part included
  bool read_blocked_ = false;  ///< the last read_some needed the socket
  bool socket_drained_ = false;  ///< the last recv returned less than it asked for
  want read_wants_ = want::read;  ///< and for what
};

}  // namespace fastactor
