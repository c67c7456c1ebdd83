// paced_clients: holds many slow streams open at once. It opens N connections to the server,
// sends one GET on each (a paced stream such as /stream?n=20&size=16&interval_ms=1000), reads
// and counts the chunks, and reports how many connections got their first chunk and after how
// long, how many streams were live at the same time, and how many completed. Single-threaded
// Asio.
//
// With --pid=PID it also samples the server's resident memory (VmRSS in /proc/PID/status):
// before connecting (idle), every 100 ms (peak), and --settle-ms after every connection got
// its first chunk (live: all streams open at once).
//
//   build/bin/paced_clients --port=PORT [--host=127.0.0.1] [--connections=10000]
//       [--path=/stream?n=20&size=16&interval_ms=1000] [--chunks=20] [--parallel=256]
//       [--bytes=B] [--pid=PID] [--settle-ms=2000] [--timeout-s=120]
//       [--source=127.0.0.2[,127.0.0.3...]] [--events] [--marks]
//
// --chunks checks the number of non-empty chunks each stream had, --bytes the size of its
// body (a server may merge chunks that are ready together into one: fastactor's writer
// does, so an unpaced stream is checked by its bytes). Besides the counts it reports the
// body bytes of all completed streams (body_bytes) and the time from the start until the
// last stream ended (elapsed_ms).
//
// --parallel bounds the connections that are connecting or waiting for their first chunk
// (a ramp that does not overflow the server's listen backlog); connections that are
// streaming do not count. Prints one line of key=value pairs; exits 1 unless every stream
// completed.
//
// --source binds each connection to one of these local addresses, round-robin, before it
// connects (IP_BIND_ADDRESS_NO_PORT: the port is picked at connect time, per 4-tuple). Each
// source address has its own ~28 K ephemeral ports towards one server port, so several
// loopback addresses (all of 127/8 is local on Linux) hold more connections than one.
// --events counts Server-Sent Events (a block of lines with a `data` field, dispatched by an
// empty line; comments such as `: ping` are not events) instead of chunks: --chunks is then
// the expected number of events, and "first chunk" means the first event.
// --marks prints `ready first_chunk=N all_first_ms=MS` once every connection got its first
// chunk (event), and `mark live=L received=R elapsed_ms=MS` on each SIGUSR1 (R: chunks or
// events received so far by all connections), so that a script can take a window over
// several client processes.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <csignal>
#include <netinet/in.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#  define IP_BIND_ADDRESS_NO_PORT 24  // Linux 4.2
#endif

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::string port;
  std::string path = "/stream?n=20&size=16&interval_ms=1000";
  long connections = 10000;
  long chunks = 0;  ///< expected chunks per stream; 0: do not check
  long long bytes = -1;  ///< expected body bytes per stream; -1: do not check
  long parallel = 256;
  long pid = 0;
  long settle_ms = 2000;
  long timeout_s = 120;
  std::vector<net::ip::address> sources;  ///< bind to these, round-robin; empty: do not bind
  bool events = false;  ///< count SSE events, not chunks
  bool marks = false;  ///< print `ready` and, on SIGUSR1, `mark` lines
};

/// Counts Server-Sent Events in a body that arrives in pieces: an event is a block of lines
/// with at least one `data` field, dispatched by an empty line (CR, LF and CRLF end lines).
class sse_counter {
public:
  /// Feeds body bytes; returns the number of events they completed.
  long feed(beast::string_view bytes) {
    long done = 0;
    for (char c : bytes) {
      if (c == '\n' && after_cr_) {  // the LF of a CRLF: the line already ended
        after_cr_ = false;
        continue;
      }
      after_cr_ = c == '\r';
      if (c == '\r' || c == '\n') {
        if (line_len_ == 0) {
          if (has_data_)
            ++done;
          has_data_ = false;
        } else if (is_data_line()) {
          has_data_ = true;
        }
        line_len_ = 0;
        continue;
      }
      if (line_len_ < sizeof(head_))
        head_[line_len_] = c;
      ++line_len_;
    }
    return done;
  }

private:
  /// The field name is `data`: "data" alone, or "data:..."
  bool is_data_line() const {
    if (line_len_ < 4 || std::string_view(head_, 4) != "data")
      return false;
    return line_len_ == 4 || head_[4] == ':';
  }

  char head_[5] = {};
  std::size_t line_len_ = 0;
  bool has_data_ = false;
  bool after_cr_ = false;
};

/// VmRSS of `pid` in KiB, 0 if unknown.
long rss_kib(long pid) {
  if (pid <= 0)
    return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

class runner;

class client : public std::enable_shared_from_this<client> {
public:
  client(net::io_context& ioc, runner& r) : sock_(ioc), run_(r) {
    parser_.body_limit(boost::none);
    on_header_ = [this](std::uint64_t size, beast::string_view, beast::error_code&) {
      if (size > 0 && !counting_events())
        received(1);
    };
    on_body_ = [this](std::uint64_t, beast::string_view body, beast::error_code&) {
      bytes_ += body.size();
      if (counting_events())
        received(events_.feed(body));
      else if (!got_first_)
        first_chunk();
      return body.size();
    };
    parser_.on_chunk_header(on_header_);
    parser_.on_chunk_body(on_body_);
  }

  void start(const tcp::endpoint& at, const net::ip::address* source);

private:
  bool counting_events() const;
  /// `n` chunks or events arrived.
  void received(long n);
  void first_chunk();
  void done(const char* error);

  tcp::socket sock_;
  runner& run_;
  beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
  std::function<void(std::uint64_t, beast::string_view, beast::error_code&)> on_header_;
  std::function<std::size_t(std::uint64_t, beast::string_view, beast::error_code&)> on_body_;
  long chunks_ = 0;  ///< chunks, or events with --events
  sse_counter events_;
  std::uint64_t bytes_ = 0;
  bool got_first_ = false;
  bool finished_ = false;
};

class runner {
public:
  runner(net::io_context& ioc, options opt)
    : ioc_(ioc), opt_(std::move(opt)), sampler_(ioc), settle_(ioc), deadline_(ioc), signals_(ioc) {
    request_ = "GET " + opt_.path + " HTTP/1.1\r\nHost: " + opt_.host + "\r\n\r\n";
    endpoint_ = *tcp::resolver{ioc}.resolve(opt_.host, opt_.port).begin();
  }

  void start() {
    rss_idle_ = rss_kib(opt_.pid);
    rss_peak_ = rss_idle_;
    t0_ = clock_type::now();
    sample();
    deadline_.expires_after(std::chrono::seconds(opt_.timeout_s));
    deadline_.async_wait([this](beast::error_code ec) {
      if (!ec) {
        timed_out_ = true;
        ioc_.stop();
      }
    });
    if (opt_.marks) {
      signals_.add(SIGUSR1);
      wait_mark();
    }
    for (long i = 0; i < opt_.parallel; ++i)
      launch();
  }

  // -- called by clients --------------------------------------------------------------------

  const std::string& request() const { return request_; }

  /// A connection got its first chunk (or failed before): its ramp slot is free.
  void slot_free() { launch(); }

  void connected() { ++connected_; }

  void received(long n) { received_ += n; }

  void first_chunk() {
    ++first_chunk_;
    ++live_;
    peak_live_ = std::max(peak_live_, live_);
    last_first_ms_ = ms_since_start();
    if (first_chunk_ == opt_.connections && opt_.marks) {
      std::printf("ready first_chunk=%ld all_first_ms=%ld\n", first_chunk_, last_first_ms_);
      std::fflush(stdout);
    }
    if (first_chunk_ == opt_.connections) {
      settle_.expires_after(std::chrono::milliseconds(opt_.settle_ms));
      settle_.async_wait([this](beast::error_code ec) {
        if (ec)
          return;
        rss_live_ = rss_kib(opt_.pid);
        live_at_sample_ = live_;
      });
    }
  }

  void finished(bool had_first, const char* error, std::uint64_t bytes) {
    if (had_first)
      --live_;
    if (error) {
      ++errors_[error];
    } else {
      ++completed_;
      body_bytes_ += bytes;
    }
    if (++finished_ == opt_.connections)
      stop();
  }

  void report() {
    long failed = 0;
    for (auto& [what, count] : errors_)
      failed += count;
    long unfinished = opt_.connections - finished_;
    std::printf("connections=%ld connected=%ld first_chunk=%ld all_first_ms=%ld completed=%ld "
                "failed=%ld unfinished=%ld peak_live=%ld live_at_sample=%ld rss_idle_kb=%ld "
                "rss_live_kb=%ld rss_peak_kb=%ld elapsed_ms=%ld timed_out=%d body_bytes=%llu\n",
                opt_.connections, connected_, first_chunk_,
                first_chunk_ == opt_.connections ? last_first_ms_ : -1, completed_, failed,
                unfinished, peak_live_, live_at_sample_, rss_idle_, rss_live_, rss_peak_,
                ms_since_start(), timed_out_ ? 1 : 0, static_cast<unsigned long long>(body_bytes_));
    for (auto& [what, count] : errors_)
      std::fprintf(stderr, "paced_clients: %ld connections: %s\n", count, what.c_str());
    std::fflush(stdout);
  }

  bool all_completed() const { return completed_ == opt_.connections; }
  const options& opts() const { return opt_; }

private:
  void launch() {
    if (launched_ >= opt_.connections)
      return;
    const net::ip::address* source = nullptr;
    if (!opt_.sources.empty())
      source = &opt_.sources[static_cast<std::size_t>(launched_) % opt_.sources.size()];
    ++launched_;
    std::make_shared<client>(ioc_, *this)->start(endpoint_, source);
  }

  void wait_mark() {
    signals_.async_wait([this](beast::error_code ec, int) {
      if (ec)
        return;
      std::printf("mark live=%ld received=%ld elapsed_ms=%ld\n", live_, received_,
                  ms_since_start());
      std::fflush(stdout);
      wait_mark();
    });
  }

  void sample() {
    if (opt_.pid <= 0)
      return;
    rss_peak_ = std::max(rss_peak_, rss_kib(opt_.pid));
    sampler_.expires_after(std::chrono::milliseconds(100));
    sampler_.async_wait([this](beast::error_code ec) {
      if (!ec)
        sample();
    });
  }

  void stop() {
    if (opt_.pid > 0)
      rss_peak_ = std::max(rss_peak_, rss_kib(opt_.pid));
    sampler_.cancel();
    deadline_.cancel();
    settle_.cancel();  // if the streams ended before it, rss_live_kb stays 0
    beast::error_code ignored;
    signals_.cancel(ignored);
    ioc_.stop();
  }

  long ms_since_start() const {
    return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0_).count());
  }

  net::io_context& ioc_;
  options opt_;
  std::string request_;
  tcp::endpoint endpoint_;
  net::steady_timer sampler_, settle_, deadline_;
  net::signal_set signals_;
  clock_type::time_point t0_;
  long launched_ = 0, connected_ = 0, first_chunk_ = 0, completed_ = 0, finished_ = 0;
  long live_ = 0, peak_live_ = 0, live_at_sample_ = 0, last_first_ms_ = 0, received_ = 0;
  long rss_idle_ = 0, rss_live_ = 0, rss_peak_ = 0;
  std::uint64_t body_bytes_ = 0;
  bool timed_out_ = false;
  std::map<std::string, long> errors_;
};

void client::start(const tcp::endpoint& at, const net::ip::address* source) {
  if (source) {
    beast::error_code ec;
    sock_.open(at.protocol(), ec);
    if (!ec) {
      // The port is chosen at connect time, unique per 4-tuple, not reserved at bind.
      sock_.set_option(
        net::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>(true), ec);
      sock_.bind(tcp::endpoint{*source, 0}, ec);
    }
    if (ec) {
      auto self = shared_from_this();
      return net::post(sock_.get_executor(),
                       [self, ec] { self->done(("bind: " + ec.message()).c_str()); });
    }
  }
  sock_.async_connect(at, [self = shared_from_this()](beast::error_code ec) {
    if (ec)
      return self->done(("connect: " + ec.message()).c_str());
    self->run_.connected();
    beast::error_code ignored;
    self->sock_.set_option(tcp::no_delay(true), ignored);
    net::async_write(self->sock_, net::buffer(self->run_.request()),
                     [self](beast::error_code wec, std::size_t) {
                       if (wec)
                         return self->done(("write: " + wec.message()).c_str());
                       http::async_read(self->sock_, self->buffer_, self->parser_,
                                        [self](beast::error_code rec, std::size_t) {
                                          if (rec)
                                            return self->done(("read: " + rec.message()).c_str());
                                          self->done(nullptr);
                                        });
                     });
  });
}

bool client::counting_events() const {
  return run_.opts().events;
}

void client::received(long n) {
  if (n <= 0)
    return;
  chunks_ += n;
  run_.received(n);
  if (counting_events() && !got_first_)
    first_chunk();  // chunks: on the first body bytes (on_body_)
}

void client::first_chunk() {
  got_first_ = true;
  run_.first_chunk();
  run_.slot_free();
}

void client::done(const char* error) {
  if (finished_)
    return;
  finished_ = true;
  std::string why;
  if (!error) {
    auto status = parser_.get().result_int();
    if (status != 200)
      why = "status " + std::to_string(status);
    else if (run_.opts().chunks > 0 && chunks_ != run_.opts().chunks)
      why = "got " + std::to_string(chunks_) + (run_.opts().events ? " events" : " chunks")
        + ", expected " + std::to_string(run_.opts().chunks);
    else if (run_.opts().bytes >= 0 && bytes_ != static_cast<std::uint64_t>(run_.opts().bytes))
      why = "got " + std::to_string(bytes_) + " body bytes, expected "
        + std::to_string(run_.opts().bytes);
  } else {
    why = error;
  }
  beast::error_code ignored;
  sock_.close(ignored);
  bool had_first = got_first_;
  if (!had_first)
    run_.slot_free();  // it never got a first chunk: its ramp slot is free now
  run_.finished(had_first, why.empty() ? nullptr : why.c_str(), bytes_);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      auto value = [&](std::string_view prefix) { return std::string{arg.substr(prefix.size())}; };
      if (starts_with(arg, "--host="))
        opt.host = value("--host=");
      else if (starts_with(arg, "--port="))
        opt.port = value("--port=");
      else if (starts_with(arg, "--path="))
        opt.path = value("--path=");
      else if (starts_with(arg, "--connections="))
        opt.connections = std::stol(value("--connections="));
      else if (starts_with(arg, "--chunks="))
        opt.chunks = std::stol(value("--chunks="));
      else if (starts_with(arg, "--bytes="))
        opt.bytes = std::stoll(value("--bytes="));
      else if (starts_with(arg, "--parallel="))
        opt.parallel = std::stol(value("--parallel="));
      else if (starts_with(arg, "--pid="))
        opt.pid = std::stol(value("--pid="));
      else if (starts_with(arg, "--settle-ms="))
        opt.settle_ms = std::stol(value("--settle-ms="));
      else if (starts_with(arg, "--timeout-s="))
        opt.timeout_s = std::stol(value("--timeout-s="));
      else if (starts_with(arg, "--source=")) {
        std::string list = value("--source=");
        std::size_t from = 0;
        while (from <= list.size()) {
          auto comma = list.find(',', from);
          auto item =
            list.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
          if (!item.empty())
            opt.sources.push_back(net::ip::make_address(item));
          if (comma == std::string::npos)
            break;
          from = comma + 1;
        }
        if (opt.sources.empty())
          throw std::invalid_argument("--source needs at least one address");
      } else if (arg == "--events")
        opt.events = true;
      else if (arg == "--marks")
        opt.marks = true;
      else
        throw std::invalid_argument("unexpected argument '" + std::string{arg} + "'");
    }
    if (opt.port.empty())
      throw std::invalid_argument("--port is required");
    if (opt.connections < 1 || opt.parallel < 1)
      throw std::invalid_argument("--connections and --parallel must be positive");
  } catch (const std::exception& e) {
    std::cerr << "paced_clients: " << e.what() << '\n';
    return 2;
  }
  net::io_context ioc{1};
  runner r{ioc, opt};
  r.start();
  ioc.run();
  r.report();
  return r.all_completed() ? 0 : 1;
}
