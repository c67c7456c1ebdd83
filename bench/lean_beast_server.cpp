// lean_beast_server: the leanest honest Boost.Beast server, the baseline fastactor is measured
// against (docs/benchmarks.md). Async, ONE io_context and one I/O thread, no actors, a plain
// socket (no beast::tcp_stream, so no timer armed per operation), a session in the shape of
// Beast's example/http/server/async (do_read / on_read / do_write / on_write), and nothing
// per request that a careful Beast user would not leave out:
//
// - Beast's HTTP parser (http::basic_parser) with a derived class that keeps the method and
//   the target and drops the other fields (keep-alive semantics come from the parser itself),
//   re-made in place (std::optional, no allocation) for every request; one flat_buffer per
//   connection, kept across keep-alive requests.
// - Pipelining: every complete request already in the buffer is parsed and answered, in
//   order, before the next read; the answers to one batch go out in one write.
// - The /hello response is prebuilt; only its Date (cached, rewritten once a second) changes.
// - Streams: the head travels with the first chunk and the last chunk with the terminator, one
//   gathered async_write (chunk header, data, CRLF) per chunk, the chunk buffer reused; while
//   a stream runs the connection keeps no read buffer, request target or head buffer.
//
//   GET /hello                               200 "ok"; these bytes (nginx's `return 200 "ok"`
//                                            with default_type "text/plain; charset=utf-8",
//                                            header for header, "beast" in place of "nginx"):
//                                              HTTP/1.1 200 OK
//                                              Server: beast
//                                              Date: Sun, 06 Nov 1994 08:49:37 GMT
//                                              Content-Type: text/plain; charset=utf-8
//                                              Content-Length: 2
//                                              Connection: keep-alive   (or close)
//                                              <empty line>ok
//   GET /stream?n=N&size=S&interval_ms=I     chunked: N chunks of S bytes, chunk i filled with
//                                            'a' + i % 26, a steady_timer between chunks when
//                                            I > 0 (raw_beast_server's /stream, same limits)
//   GET /latency?n=N&interval_ms=I           chunked: N chunks, one every I ms, each the
//                                            steady_clock time (ns) at which it was written
//
//   build/bin/lean_beast_server [--host=127.0.0.1] [--port=8080]   (port 0 takes a free one)
//
// The first line on stdout is `listening on http://HOST:PORT`; SIGINT/SIGTERM stop it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// One concrete executor type (no any_io_executor type erasure): one io_context, one thread.
using executor_t = net::io_context::executor_type;
using socket_t = tcp::socket::rebind_executor<executor_t>::other;
using acceptor_t = tcp::acceptor::rebind_executor<executor_t>::other;
using steady_timer_t = net::steady_timer::rebind_executor<executor_t>::other;

constexpr std::size_t read_size = 4096;  ///< bytes asked of each read
constexpr std::size_t buffer_limit = 64 * 1024;  ///< a request head larger than this: 400

// -- the Date header -------------------------------------------------------------------------

/// The IMF-fixdate of the current second, formatted once a second (as nginx caches its time).
class date_cache {
public:
  static constexpr std::size_t size = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

  /// Rewrites the text when the second changed since the last call.
  void refresh() {
    auto now = std::time(nullptr);  // vDSO: no system call
    if (now == second_)
      return;
    second_ = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(text_, sizeof text_, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }

  std::time_t second() const { return second_; }
  std::string_view text() const { return {text_, size}; }

private:
  std::time_t second_ = -1;
  char text_[size + 1] = {};
};

date_cache date;

/// The head of a response up to and including "Date: ...\r\n".
void append_head_start(std::string& out, std::string_view status_line) {
  out += status_line;
  out += "\r\nServer: beast\r\nDate: ";
  out += date.text();
  out += "\r\n";
}

/// The prebuilt /hello responses (keep-alive and close), their Date rewritten in place once
/// a second.
class hello_response {
public:
  std::string_view get(bool keep_alive) {
    date.refresh();
    if (built_ != date.second())
      build();
    return keep_alive ? keep_alive_ : close_;
  }

private:
  void build() {
    built_ = date.second();
    for (auto* s : {&keep_alive_, &close_}) {
      s->clear();
      append_head_start(*s, "HTTP/1.1 200 OK");
      *s += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\nConnection: ";
      *s += s == &keep_alive_ ? "keep-alive" : "close";
      *s += "\r\n\r\nok";
    }
  }

  std::string keep_alive_, close_;
  std::time_t built_ = -1;
};

hello_response hello;

// -- the query string ---------------------------------------------------------------------------

/// The integer query parameter `name` of `query` (the part after '?'); `fallback` when absent,
/// nullopt when present but not an integer in [min, max].
std::optional<long long> int_param(std::string_view query, std::string_view name,
                                   long long fallback, long long min, long long max) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != name)
      continue;
    if (eq == std::string_view::npos)
      return std::nullopt;
    auto text = pair.substr(eq + 1);
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
      return std::nullopt;
    return value;
  }
  return fallback;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

// -- the request parser -------------------------------------------------------------------------

/// What the server needs of a request: the method and the target. Kept by the session, so the
/// target's capacity is reused across requests.
struct request_line {
  http::verb method = http::verb::unknown;
  std::string target;
};

/// Beast's parser, keeping the request line and skipping the fields and the body.
class request_parser : public http::basic_parser<true> {
public:
  explicit request_parser(request_line& line) : line_(line) { eager(true); }

private:
  void on_request_impl(http::verb method, beast::string_view, beast::string_view target, int,
                       beast::error_code&) override {
    line_.method = method;
    line_.target.assign(target.data(), target.size());
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field, beast::string_view, beast::string_view,
                     beast::error_code&) override {}
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code&) override {
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  request_line& line_;
};

// -- session ------------------------------------------------------------------------------------

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(socket_t&& socket)
    : socket_(std::move(socket)), buffer_(buffer_limit), timer_(socket_.get_executor()) {}

  void run() {
    beast::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    do_read();
  }

private:
  enum class kind { fill, timestamp };

  // Answers every complete request in the buffer, in order, then writes the answers (one
  // write) or reads more. A stream takes the connection over until its last chunk.
  void do_read() {
    while (buffer_.size() > 0) {
      if (!parser_)
        parser_.emplace(line_);
      beast::error_code ec;
      auto used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more || (!ec && used == 0 && !parser_->is_done()))
        break;
      if (ec) {
        parser_.reset();
        close_after_write_ = true;
        append_text("400 Bad Request", "bad request\n", false);
        return do_write();
      }
      if (!parser_->is_done())
        continue;
      bool keep_alive = parser_->keep_alive();
      parser_.reset();
      if (handle_request(keep_alive))
        return;  // a stream: it writes what is pending and reads on when it ends
      if (!keep_alive) {
        close_after_write_ = true;
        break;
      }
    }
    if (!out_.empty())
      return do_write();
    if (buffer_.max_size() - buffer_.size() < read_size) {
      close_after_write_ = true;
      append_text("400 Bad Request", "request head too large\n", false);
      return do_write();
    }
    socket_.async_read_some(
      buffer_.prepare(read_size),
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(beast::error_code ec, std::size_t n) {
    if (ec == net::error::eof)
      return do_close();  // the client is done (an incomplete request is dropped)
    if (ec)
      return;
    buffer_.commit(n);
    do_read();
  }

  /// Answers one request into out_; true when it started a stream.
  bool handle_request(bool keep_alive) {
    std::string_view target = line_.target;
    auto q = target.find('?');
    auto path = target.substr(0, q);
    auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (line_.method != http::verb::get) {
      append_text("405 Method Not Allowed", "method not allowed\n", keep_alive);
      return false;
    }
    if (path == "/hello") {
      out_ += hello.get(keep_alive);
      return false;
    }
    if (path == "/stream") {
      auto n = int_param(query, "n", 10, 0, 10'000'000);
      auto size = int_param(query, "size", 1024, 1, 1 << 20);
      auto interval = int_param(query, "interval_ms", 0, 0, 60'000);
      if (!n || !size || !interval || *n * *size > (4ll << 30)) {
        append_text("400 Bad Request", "bad query parameter\n", keep_alive);
        return false;
      }
      start_stream(kind::fill, *n, static_cast<std::size_t>(*size), *interval, keep_alive);
      return true;
    }
    if (path == "/latency") {
      auto n = int_param(query, "n", 200, 0, 10'000'000);
      auto interval = int_param(query, "interval_ms", 5, 0, 60'000);
      if (!n || !interval) {
        append_text("400 Bad Request", "bad query parameter\n", keep_alive);
        return false;
      }
      start_stream(kind::timestamp, *n, 0, *interval, keep_alive);
      return true;
    }
    append_text("404 Not Found", "not found\n", keep_alive);
    return false;
  }

  // -- complete responses -------------------------------------------------------------------

  void append_text(std::string_view status, std::string_view body, bool keep_alive) {
    date.refresh();
    out_ += "HTTP/1.1 ";
    append_head_start(out_, status);
    out_ += "Content-Type: text/plain\r\nContent-Length: ";
    out_ += std::to_string(body.size());
    out_ += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
    out_ += body;
  }

  void do_write() {
    net::async_write(
      socket_, net::buffer(out_),
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (ec)
      return;
    out_.clear();
    if (close_after_write_)
      return do_close();
    do_read();
  }

  // -- a chunked response: [pending answers + head] + chunk 0, chunk 1, ..., last + "0\r\n\r\n"

  void start_stream(kind k, long long n, std::size_t size, long long interval_ms, bool keep_alive) {
    kind_ = k;
    remaining_ = n;
    index_ = 0;
    interval_ = std::chrono::milliseconds(interval_ms);
    stream_keep_alive_ = keep_alive;
    if (k == kind::fill)
      chunk_.resize(size);
    // A stream holds no read memory, and no request target, while it runs (a slow stream is
    // mostly waiting): both are made again for the next request.
    if (buffer_.size() == 0)
      buffer_.shrink_to_fit();
    line_.target.clear();
    line_.target.shrink_to_fit();
    date.refresh();
    append_head_start(out_, "HTTP/1.1 200 OK");
    out_ += "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n";
    out_ += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    next_due_ = std::chrono::steady_clock::now();
    write_chunk();
  }

  void write_chunk() {
    static constexpr std::string_view crlf = "\r\n";
    static constexpr std::string_view crlf_last = "\r\n0\r\n\r\n";
    static constexpr std::string_view last = "0\r\n\r\n";
    // [pending: the head, and answers pipelined before it] [chunk size] [data] [CRLF (+ last)];
    // unused entries stay empty.
    std::array<net::const_buffer, 4> buffers;
    buffers[0] = net::buffer(out_);
    if (remaining_ == 0) {
      buffers[1] = net::buffer(last.data(), last.size());
    } else {
      if (kind_ == kind::fill)
        std::memset(chunk_.data(), 'a' + static_cast<int>(index_ % 26), chunk_.size());
      else
        chunk_ = std::to_string(now_ns()) + "\n";
      ++index_;
      --remaining_;
      auto [end, ec] =
        std::to_chars(chunk_head_, chunk_head_ + sizeof chunk_head_ - 2, chunk_.size(), 16);
      *end++ = '\r';
      *end++ = '\n';
      buffers[1] = net::buffer(chunk_head_, static_cast<std::size_t>(end - chunk_head_));
      buffers[2] = net::buffer(chunk_);
      auto tail = remaining_ == 0 ? crlf_last : crlf;
      buffers[3] = net::buffer(tail.data(), tail.size());
    }
    net::async_write(
      socket_, buffers,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_chunk(ec); });
  }

  void on_chunk(beast::error_code ec) {
    if (ec)
      return;
    if (!out_.empty()) {  // the head went: its buffer is not needed while the stream runs
      out_.clear();
      out_.shrink_to_fit();
    }
    if (remaining_ == 0)
      return end_stream();  // the last chunk went with the terminator
    if (interval_.count() == 0)
      return write_chunk();
    next_due_ += interval_;
    timer_.expires_at(next_due_);
    timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec)
        self->write_chunk();
    });
  }

  void end_stream() {
    if (kind_ == kind::fill) {
      chunk_.clear();
      chunk_.shrink_to_fit();  // an idle connection holds no chunk buffer
    }
    if (!stream_keep_alive_)
      return do_close();
    do_read();  // answers what was pipelined behind the stream, or reads
  }

  void do_close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  socket_t socket_;
  beast::flat_buffer buffer_;
  request_line line_;
  std::optional<request_parser> parser_;
  std::string out_;  // answers not yet written
  bool close_after_write_ = false;
  // streaming
  steady_timer_t timer_;
  std::string chunk_;
  char chunk_head_[20] = {};
  kind kind_ = kind::fill;
  bool stream_keep_alive_ = true;
  long long remaining_ = 0;
  long long index_ = 0;
  std::chrono::milliseconds interval_{0};
  std::chrono::steady_clock::time_point next_due_;
};

// -- listener -----------------------------------------------------------------------------------

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(net::io_context& ioc, tcp::endpoint endpoint) : acceptor_(ioc.get_executor()) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void run() { do_accept(); }

private:
  void do_accept() {
    acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, socket_t socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(beast::error_code ec, socket_t socket) {
    if (ec) {
      std::cerr << "lean_beast_server: accept: " << ec.message() << '\n';
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space) {
        auto timer = std::make_shared<steady_timer_t>(acceptor_.get_executor());
        timer->expires_after(std::chrono::milliseconds(50));
        return timer->async_wait(
          [self = shared_from_this(), timer](beast::error_code) { self->do_accept(); });
      }
    } else {
      std::make_shared<session>(std::move(socket))->run();
    }
    do_accept();
  }

  acceptor_t acceptor_;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  long port = 8080;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (starts_with(arg, "--host=")) {
      host = std::string{arg.substr(7)};
    } else if (starts_with(arg, "--port=")) {
      char* end = nullptr;
      port = std::strtol(argv[i] + 7, &end, 10);
      if (*end != '\0' || end == argv[i] + 7 || port < 0 || port > 65535) {
        std::cerr << "lean_beast_server: --port must be from 0 to 65535\n";
        return 2;
      }
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: lean_beast_server [--host=127.0.0.1] [--port=8080]\n";
      return 0;
    } else {
      std::cerr << "lean_beast_server: unexpected argument '" << arg << "'\n";
      return 2;
    }
  }
  net::io_context ioc{1};
  std::shared_ptr<listener> lst;
  try {
    lst = std::make_shared<listener>(
      ioc, tcp::endpoint{net::ip::make_address(host), static_cast<std::uint16_t>(port)});
  } catch (const std::exception& e) {
    std::cerr << "lean_beast_server: cannot listen on " << host << ":" << port << ": " << e.what()
              << '\n';
    return 1;
  }
  lst->run();
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
  auto shown = host.find(':') == std::string::npos ? host : "[" + host + "]";
  std::cout << "listening on http://" << shown << ":" << lst->port() << std::endl;
  ioc.run();  // the one I/O thread
  return 0;
}
