#include "support/raw_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace testing {

using namespace std::chrono_literals;

raw_socket::raw_socket(std::uint16_t port, int receive_buffer,
                       const std::optional<tls_options>& tls)
  : fd_(connect_loopback(port, receive_buffer)) {
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  if (!tls)
    return;
  tls_ = std::make_unique<tls_stream>(fd_, *tls);
  bool ok = tls_->handshake(5s) && (tls->alpn.empty() || tls_->alpn() == tls->alpn.front());
  if (!ok) {
    auto why =
      "TLS" + (tls->alpn.empty() ? "" : " with ALPN " + tls->alpn.front()) + ": " + tls_->error();
    close();
    throw std::runtime_error(why);
  }
}

raw_socket::~raw_socket() {
  close();
}

void raw_socket::close() {
  tls_.reset();
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

void raw_socket::mark_gone() {
  if (!gone_) {
    gone_ = true;
    gone_at_ = clock_type::now();
  }
}

std::size_t raw_socket::send_some(std::string_view bytes, ms wait) {
  if (gone_ || fd_ < 0)
    return 0;
  if (tls_) {
    auto done = tls_->write(bytes.data(), bytes.size(), wait);
    if (tls_->broken())
      mark_gone();
    return done;
  }
  std::size_t done = 0;
  for (auto until = clock_type::now() + wait; done < bytes.size() && !gone_;) {
    auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto left = std::chrono::duration_cast<ms>(until - clock_type::now()).count();
      if (left <= 0)
        break;
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 20)));
      continue;
    }
    mark_gone();  // EPIPE, ECONNRESET: the server ended the connection
  }
  return done;
}

void raw_socket::receive(std::string& into, ms wait) {
  if (fd_ < 0 || eof_)
    return;
  if (tls_) {
    int n = tls_->read(into, wait);
    while (n > 0)
      n = tls_->read(into, 0ms);
    if (n < 0) {
      eof_ = true;
      mark_gone();
    }
    return;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0)
    return;
  char buf[65536];
  for (;;) {
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    eof_ = true;  // 0: an orderly close; < 0: a reset
    mark_gone();
    return;
  }
}

}  // namespace testing
