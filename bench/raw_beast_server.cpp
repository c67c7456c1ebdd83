// raw_beast_server: a typical Beast app, measured beside fastactor as "typical Beast app"
// (the baseline is lean_beast_server.cpp, the leanest Beast server, and nginx). A plain
// Boost.Beast async server in the shape of Beast's example/http/server/async (listener +
// session with do_read / on_read / do_write / on_write), no actors, ONE I/O thread, written
// the way Beast's example writes it: a beast::tcp_stream whose expiry timer is armed for
// every read (30 s), a strand per connection, http::request<string_body> and a response
// message serialized per request. It serves what the benchmarks ask of fastactor's demo
// server:
//
//   GET /hello                               200 "ok" (Content-Length, keep-alive)
//   GET /stream?n=N&size=S&interval_ms=I     chunked: N chunks of S bytes, chunk i filled with
//                                            'a' + i % 26, one chunk per write, a steady_timer
//                                            between chunks when I > 0
//   GET /latency?n=N&interval_ms=I           chunked: N chunks, one every I ms, each the
//                                            steady_clock time (ns) at which it was written
//
//   build/bin/raw_beast_server [--host=127.0.0.1] [--port=8080]   (port 0 takes a free one)
//
// The first line on stdout is `listening on http://HOST:PORT`; SIGINT/SIGTERM stop it.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
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

// -- session ------------------------------------------------------------------------------------

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket&& socket)
    : stream_(std::move(socket)), timer_(stream_.get_executor()) {}

  void run() {
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

private:
  enum class kind { fill, timestamp };

  void do_read() {
    req_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, req_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream)
      return do_close();
    if (ec)
      return;
    handle_request();
  }

  void handle_request() {
    std::string_view target{req_.target().data(), req_.target().size()};
    auto q = target.find('?');
    auto path = target.substr(0, q);
    auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (req_.method() != http::verb::get)
      return send_text(http::status::method_not_allowed, "method not allowed\n");
    if (path == "/hello")
      return send_text(http::status::ok, "ok");
    if (path == "/stream") {
      auto n = int_param(query, "n", 10, 0, 10'000'000);
      auto size = int_param(query, "size", 1024, 1, 1 << 20);
      auto interval = int_param(query, "interval_ms", 0, 0, 60'000);
      if (!n || !size || !interval || *n * *size > (4ll << 30))
        return send_text(http::status::bad_request, "bad query parameter\n");
      return start_stream(kind::fill, *n, static_cast<std::size_t>(*size), *interval);
    }
    if (path == "/latency") {
      auto n = int_param(query, "n", 200, 0, 10'000'000);
      auto interval = int_param(query, "interval_ms", 5, 0, 60'000);
      if (!n || !interval)
        return send_text(http::status::bad_request, "bad query parameter\n");
      return start_stream(kind::timestamp, *n, 0, *interval);
    }
    send_text(http::status::not_found, "not found\n");
  }

  // -- a complete response ------------------------------------------------------------------

  void send_text(http::status status, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(status, req_.version());
    res->set(http::field::server, "raw_beast_server");
    res->set(http::field::content_type, "text/plain");
    res->keep_alive(req_.keep_alive());
    res->body() = std::move(body);
    res->prepare_payload();
    res_ = res;
    do_write(*res);
  }

  template <class Message>
  void do_write(Message& msg) {
    http::async_write(
      stream_, msg,
      beast::bind_front_handler(&session::on_write, shared_from_this(), msg.need_eof()));
  }

  void on_write(bool close, beast::error_code ec, std::size_t) {
    if (ec)
      return;
    if (close)
      return do_close();
    res_ = nullptr;
    do_read();
  }

  // -- a chunked response -------------------------------------------------------------------

  void start_stream(kind k, long long n, std::size_t size, long long interval_ms) {
    kind_ = k;
    remaining_ = n;
    index_ = 0;
    interval_ = std::chrono::milliseconds(interval_ms);
    chunk_.resize(size);
    stream_.expires_never();  // a long stream is no idle connection
    head_.emplace(http::status::ok, req_.version());
    head_->set(http::field::server, "raw_beast_server");
    head_->set(http::field::content_type, "application/octet-stream");
    head_->keep_alive(req_.keep_alive());
    head_->chunked(true);
    sr_.emplace(*head_);
    http::async_write_header(stream_, *sr_,
                             beast::bind_front_handler(&session::on_head, shared_from_this()));
  }

  void on_head(beast::error_code ec, std::size_t) {
    if (ec)
      return;
    next_due_ = std::chrono::steady_clock::now();
    write_chunk();
  }

  void write_chunk() {
    if (remaining_ == 0) {
      return net::async_write(stream_, http::make_chunk_last(),
                              beast::bind_front_handler(&session::on_last, shared_from_this()));
    }
    if (kind_ == kind::fill)
      std::memset(chunk_.data(), 'a' + static_cast<int>(index_ % 26), chunk_.size());
    else
      chunk_ = std::to_string(now_ns()) + "\n";
    ++index_;
    --remaining_;
    net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                     beast::bind_front_handler(&session::on_chunk, shared_from_this()));
  }

  void on_chunk(beast::error_code ec, std::size_t) {
    if (ec)
      return;
    if (interval_.count() == 0 || remaining_ == 0)
      return write_chunk();
    next_due_ += interval_;
    timer_.expires_at(next_due_);
    timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec)
        self->write_chunk();
    });
  }

  void on_last(beast::error_code ec, std::size_t) {
    if (ec)
      return;
    bool close = !head_->keep_alive();
    sr_.reset();
    head_.reset();
    if (close)
      return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::shared_ptr<void> res_;
  // streaming
  net::steady_timer timer_;
  std::optional<http::response<http::empty_body>> head_;
  std::optional<http::response_serializer<http::empty_body>> sr_;
  std::string chunk_;
  kind kind_ = kind::fill;
  long long remaining_ = 0;
  long long index_ = 0;
  std::chrono::milliseconds interval_{0};
  std::chrono::steady_clock::time_point next_due_;
};

// -- listener -----------------------------------------------------------------------------------

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(net::io_context& ioc, tcp::endpoint endpoint)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void run() { do_accept(); }

private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec) {
      std::cerr << "raw_beast_server: accept: " << ec.message() << '\n';
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space) {
        auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
        return timer->async_wait(
          [self = shared_from_this(), timer](beast::error_code) { self->do_accept(); });
      }
    } else {
      std::make_shared<session>(std::move(socket))->run();
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
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
        std::cerr << "raw_beast_server: --port must be from 0 to 65535\n";
        return 2;
      }
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: raw_beast_server [--host=127.0.0.1] [--port=8080]\n";
      return 0;
    } else {
      std::cerr << "raw_beast_server: unexpected argument '" << arg << "'\n";
      return 2;
    }
  }
  net::io_context ioc{1};
  std::shared_ptr<listener> lst;
  try {
    lst = std::make_shared<listener>(
      ioc, tcp::endpoint{net::ip::make_address(host), static_cast<std::uint16_t>(port)});
  } catch (const std::exception& e) {
    std::cerr << "raw_beast_server: cannot listen on " << host << ":" << port << ": " << e.what()
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
