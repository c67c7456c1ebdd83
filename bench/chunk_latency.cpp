// chunk_latency: how long a chunk takes from the server's worker to the client. It requests
// a /latency stream whose chunks each hold the steady_clock time (ns) at which the server's
// worker wrote them, and subtracts that from the time the chunk arrived here. Client and
// server must run on the same machine: steady_clock is CLOCK_MONOTONIC, shared by both.
//
//   build/bin/chunk_latency --port=PORT [--host=127.0.0.1] [--path=/latency?n=200&interval_ms=5]
//                           [--skip=0]
//
// Prints one line: `samples=N p50_us=... p90_us=... p99_us=... max_us=... min_us=...`
// (--skip drops the first chunks, e.g. the one sent with the response head).

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", port, path = "/latency?n=200&interval_ms=5";
  long skip = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (starts_with(arg, "--host="))
      host = std::string{arg.substr(7)};
    else if (starts_with(arg, "--port="))
      port = std::string{arg.substr(7)};
    else if (starts_with(arg, "--path="))
      path = std::string{arg.substr(7)};
    else if (starts_with(arg, "--skip="))
      skip = std::stol(std::string{arg.substr(7)});
    else {
      std::cerr << "usage: chunk_latency --port=PORT [--host=H] [--path=/latency?...] [--skip=K]\n";
      return 2;
    }
  }
  if (port.empty()) {
    std::cerr << "chunk_latency: --port is required\n";
    return 2;
  }
  try {
    net::io_context ioc;
    tcp::socket sock{ioc};
    net::connect(sock, tcp::resolver{ioc}.resolve(host, port));
    sock.set_option(tcp::no_delay(true));
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, host);
    http::write(sock, req);

    std::vector<double> latencies_us;
    std::string line;  // a timestamp may span chunks; lines end with '\n'
    long malformed = 0;
    http::response_parser<http::empty_body> parser;
    parser.body_limit(boost::none);
    auto on_body = [&](std::uint64_t, beast::string_view body, beast::error_code&) {
      auto received = now_ns();
      for (char c : body) {
        if (c != '\n') {
          line.push_back(c);
          continue;
        }
        std::int64_t sent = 0;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), sent);
        if (ec != std::errc{} || end != line.data() + line.size())
          ++malformed;
        else
          latencies_us.push_back(static_cast<double>(received - sent) / 1000.0);
        line.clear();
      }
      return body.size();
    };
    parser.on_chunk_body(on_body);
    beast::flat_buffer buffer;
    http::read_header(sock, buffer, parser);
    if (parser.get().result() != http::status::ok) {
      std::cerr << "chunk_latency: status " << parser.get().result_int() << '\n';
      return 1;
    }
    while (!parser.is_done())
      http::read_some(sock, buffer, parser);
    if (static_cast<long>(latencies_us.size()) > skip)
      latencies_us.erase(latencies_us.begin(), latencies_us.begin() + skip);
    std::sort(latencies_us.begin(), latencies_us.end());
    std::printf("samples=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f min_us=%.1f "
                "malformed=%ld\n",
                latencies_us.size(), percentile(latencies_us, 50), percentile(latencies_us, 90),
                percentile(latencies_us, 99), latencies_us.empty() ? 0.0 : latencies_us.back(),
                latencies_us.empty() ? 0.0 : latencies_us.front(), malformed);
    return latencies_us.empty() || malformed ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "chunk_latency: " << e.what() << '\n';
    return 1;
  }
}
