// libFuzzer target: the path every byte from a client takes before a handler runs —
// the request parser (Beast's, with the server's limits and chunk framing budget), fastactor's
// header and trailer checks, target decoding (Boost.URL) and routing. Built with clang, ASan and
// UBSan: `make fuzz`.
#include "server/request_reader.hpp"

#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>

namespace {

const fastactor::router& routes() {
  static const fastactor::router r = [] {
    fastactor::router x;
    auto nop = [](fastactor::context&) {};
    x.get("/", nop).get("/hello", nop).get("/stream", nop).post("/echo", nop);
    x.get("/users/:id/posts/:post", nop).del("/items/:id", nop);
    return x;
  }();
  return r;
}

const fastactor::server_config& config() {
  static const fastactor::server_config cfg;
  return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fastactor::incoming_request incoming{config()};
  auto& parser = incoming.parser();
  parser.body_limit(64 * 1024);
  boost::beast::error_code ec;
  std::size_t used = 0;
  bool checked = false;
  std::size_t header_fields = 0;  // as the header checks saw them
  while (used < size && !parser.is_done()) {
    auto n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec) {
      if (auto why = incoming.refusal(ec))
        (void)fastactor::refused_request(*why);
      return 0;
    }
    if (n == 0)
      break;
    used += n;
    if (parser.is_header_done() && !checked) {
      checked = true;
      if (incoming.header_done())
        return 0;
      header_fields = incoming.get().headers.size();
      (void)fastactor::wants_100_continue(incoming.get());
      parser.eager(true);  // as the session's body read: the header alone came first
    }
  }
  if (parser.is_done()) {
    auto [in, refused] = incoming.finish(routes());
    // A field parsed after the checked header (a trailer's) must never become a header.
    if (!refused && checked && in->req.headers.size() != header_fields)
      __builtin_trap();
    (void)in->req.query_param("n");
    (void)in->req.header("host");
  }
  return 0;
}
