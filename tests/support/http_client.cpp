#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace testing {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

void parse_field(const std::string& line, std::map<std::string, std::string>& into) {
  auto colon = line.find(':');
  if (colon == std::string::npos)
    throw std::runtime_error("bad header line: " + line);
  into[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
}

}  // namespace

std::string http_response::header(const std::string& name) const {
  auto i = headers.find(lower(name));
  return i == headers.end() ? std::string{} : i->second;
}

bool http_response::has_header(const std::string& name) const {
  return headers.count(lower(name)) > 0;
}

int connect_loopback(std::uint16_t port, int receive_buffer) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket() failed");
  if (receive_buffer > 0)  // before connect, so the TCP window is small from the start
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    auto why = std::string{"connect() failed: "} + std::strerror(errno);
    ::close(fd);
    throw std::runtime_error(why);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

http_client::http_client(std::uint16_t port, std::chrono::milliseconds timeout, int receive_buffer)
  : http_client(port, transport::from_environment(), timeout, receive_buffer) {}

http_client::http_client(std::uint16_t port, const transport& how,
                         std::chrono::milliseconds timeout, int receive_buffer)
  : timeout_(timeout) {
  fd_ = connect_loopback(port, receive_buffer);
  if (!how.tls)
    return;
  try {
    tls_ = std::make_unique<tls_stream>(fd_, *how.tls);
    if (!tls_->handshake(timeout))
      throw std::runtime_error("TLS " + tls_->error());
  } catch (...) {
    close();
    throw;
  }
}

http_client::~http_client() {
  close();
}

void http_client::close() {
  tls_.reset();
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

void http_client::shutdown_send() {
  if (tls_)
    tls_->close_notify();
  if (fd_ >= 0)
    ::shutdown(fd_, SHUT_WR);
}

void http_client::send(const std::string& bytes) {
  if (tls_) {
    if (tls_->write(bytes.data(), bytes.size(), timeout_) != bytes.size())
      throw std::runtime_error("TLS send failed: " + tls_->error());
    return;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error("send() failed");
    done += static_cast<std::size_t>(n);
  }
}

void http_client::send_get(const std::string& target, const std::string& extra_headers) {
  send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n");
}

http_response http_client::get(const std::string& target, const std::string& extra_headers) {
  send_get(target, extra_headers);
  return read_response();
}

int http_client::recv_some(int wait_ms) {
  if (tls_)
    return tls_->read(buffer_, std::chrono::milliseconds(wait_ms));
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, wait_ms) <= 0)
    return 0;
  char buf[65536];
  auto n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0)
    return -1;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return static_cast<int>(n);
}

bool http_client::fill() {
  return recv_some(static_cast<int>(timeout_.count())) > 0;
}

std::optional<std::string> http_client::read_line() {
  for (;;) {
    auto eol = buffer_.find("\r\n");
    if (eol != std::string::npos) {
      auto line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 2);
      return line;
    }
    if (!fill())
      return std::nullopt;
  }
}

bool http_client::read_exact(std::size_t n, std::string& out, http_response& r) {
  while (n > 0) {
    if (buffer_.empty() && !fill())
      return false;
    auto take = std::min(n, buffer_.size());
    r.arrivals.emplace_back(clock_type::now(), buffer_.substr(0, take));
    out.append(buffer_, 0, take);
    buffer_.erase(0, take);
    n -= take;
  }
  return true;
}

bool http_client::read_fields(std::map<std::string, std::string>& into) {
  for (;;) {
    auto line = read_line();
    if (!line)
      return false;
    if (line->empty())
      return true;
    parse_field(*line, into);
  }
}

http_response http_client::read_response(bool head) {
  http_response r;
  auto status_line = read_line();
  if (!status_line)
    return r;  // status 0: nothing came
  auto sp1 = status_line->find(' ');
  auto sp2 = status_line->find(' ', sp1 + 1);
  r.status = std::stoi(status_line->substr(sp1 + 1, sp2 - sp1 - 1));
  r.reason = sp2 == std::string::npos ? "" : status_line->substr(sp2 + 1);
  if (!read_fields(r.headers))
    return r;
  if (head || r.status == 204 || r.status == 304 || r.status / 100 == 1) {
    r.complete = true;
    return r;
  }
  if (lower(r.header("transfer-encoding")) == "chunked") {
    r.chunked = true;
    for (;;) {
      auto size_line = read_line();
      if (!size_line)
        return r;
      auto size = std::stoul(*size_line, nullptr, 16);
      if (size == 0)
        break;
      if (!read_exact(size, r.body, r))
        return r;
      std::string crlf;
      if (!read_exact(2, crlf, r) || crlf != "\r\n")
        return r;
      r.arrivals.pop_back();  // the CRLF is framing, not body
    }
    r.complete = read_fields(r.trailers);
    return r;
  }
  if (r.has_header("content-length")) {
    r.complete = read_exact(std::stoul(r.header("content-length")), r.body, r);
    return r;
  }
  // Close-delimited (HTTP/1.0 style).
  while (fill()) {
  }
  r.arrivals.emplace_back(clock_type::now(), buffer_);
  r.body += buffer_;
  buffer_.clear();
  r.complete = true;
  return r;
}

bool http_client::closed_by_peer(std::chrono::milliseconds wait) {
  for (auto until = clock_type::now() + wait; clock_type::now() < until;)
    if (recv_some(50) < 0)
      return true;
  return false;
}

std::string http_client::read_available(std::chrono::milliseconds wait) {
  for (auto until = clock_type::now() + wait; clock_type::now() < until;)
    if (recv_some(20) < 0)
      break;
  std::string out;
  out.swap(buffer_);
  return out;
}

int http_client::read_some(std::size_t n, std::chrono::milliseconds wait) {
  if (tls_) {
    std::string discarded;
    return tls_->read(discarded, wait, n);
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0)
    return 0;
  std::string buf(n, '\0');
  auto got = ::recv(fd_, buf.data(), n, 0);
  return got <= 0 ? -1 : static_cast<int>(got);
}

long resident_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

http_response http_get(std::uint16_t port, const std::string& target) {
  return http_get(port, transport::from_environment(), target);
}

http_response http_get(std::uint16_t port, const transport& how, const std::string& target) {
  http_client c{port, how};
  return c.get(target);
}

}  // namespace testing
