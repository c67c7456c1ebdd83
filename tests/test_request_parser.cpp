// How the bytes of one HTTP/1 request become the request a handler sees: the parser
// (server/request_parser.hpp) writes each field straight into `request::headers`, a chunked
// body's trailer into `request::trailers`, and the body into `request::body`; the checks of
// server/request_reader.hpp run on what it made. Fed as the session feeds it, from memory,
// with the server's limits.
#include "server/request_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace fastactor;

namespace {

const router& routes() {
  static const router r = [] {
    router x;
    auto nop = [](context&) {};
    x.get("/hello", nop).post("/echo", nop);
    return x;
  }();
  return r;
}

/// What became of one request's bytes: the routed request, or the refusal (and at which
/// step it came).
struct parsed {
  std::shared_ptr<routed_request> in;
  std::optional<request_refusal> refusal;
  std::string refused_at;  ///< "parse", "header" or "trailer"
  std::size_t used = 0;  ///< bytes the request took
};

/// Feeds `bytes` in pieces of `step` bytes (the parser then sees the request arrive in
/// reads), the way the session does: header, header checks, body, finish.
parsed parse(const server_config& cfg, std::string_view bytes, std::size_t step = 1 << 20) {
  incoming_request incoming{cfg};
  auto& parser = incoming.parser();
  parsed out;
  bool header_checked = false;
  std::size_t offered = 0;  // bytes given to the parser so far, used or still unparsed
  while (!parser.is_done()) {
    offered = std::min(bytes.size(), std::max(offered, out.used) + step);
    if (out.used == offered)
      break;  // nothing more to give: the request is incomplete
    boost::beast::error_code ec;
    auto n = parser.put(boost::asio::buffer(bytes.data() + out.used, offered - out.used), ec);
    out.used += n;
    if (ec == boost::beast::http::error::need_more) {
      if (offered == bytes.size())
        break;  // the request is incomplete: nothing more will come
      continue;
    }
    if (ec) {
      out.refusal = incoming.refusal(ec);
      out.refused_at = "parse";
      return out;
    }
    if (parser.is_header_done() && !header_checked) {
      header_checked = true;
      if ((out.refusal = incoming.header_done())) {
        out.refused_at = "header";
        return out;
      }
    }
  }
  if (!parser.is_done())
    return out;
  auto [in, refused] = incoming.finish(routes());
  out.in = in;
  if (refused)
    out.refused_at = "trailer";
  return out;
}

parsed parse(std::string_view bytes, std::size_t step = 1 << 20) {
  static const server_config cfg;
  return parse(cfg, bytes, step);
}

}  // namespace

SCENARIO("a request's fields reach the handler as they were sent", "[request-parser]") {
  GIVEN("a request with fields in mixed case, a repeated name and an empty value") {
    const std::string bytes =
      "GET /hello?x=1 HTTP/1.1\r\nhost: example\r\nX-Tag: a\r\nx-tag: b\r\nX-Empty:\r\n\r\n";
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, bytes.size()}) {
      WHEN("it arrives in pieces of " << step << " bytes") {
        auto got = parse(bytes, step);
        THEN("every field is kept in order, names as sent, and the request is routed") {
          REQUIRE(got.in);
          CHECK(got.refused_at.empty());
          const auto& req = got.in->req;
          REQUIRE(req.headers.size() == 4);
          CHECK(req.headers[0] == std::pair<std::string, std::string>{"host", "example"});
          CHECK(req.headers[1] == std::pair<std::string, std::string>{"X-Tag", "a"});
          CHECK(req.headers[2] == std::pair<std::string, std::string>{"x-tag", "b"});
          CHECK(req.headers[3] == std::pair<std::string, std::string>{"X-Empty", ""});
          CHECK(req.header("X-TAG") == "a");
          CHECK(req.trailers.empty());
          CHECK(req.method == method::get);
          CHECK(req.target == "/hello?x=1");
          CHECK(req.path == "/hello");
          CHECK(req.query_param("x") == "1");
          CHECK(req.version == 11);
          CHECK(req.keep_alive);
          CHECK(got.used == bytes.size());
        }
      }
    }
  }
  GIVEN("values with whitespace around them, and a folded value whose first line is empty") {
    auto got = parse("GET /hello HTTP/1.1\r\nHost: h\r\nX-Pad: \t padded \t\r\nX-Fold:\r\n b\r\n"
                     "X-Folded: a\r\n  b\r\n\r\n");
    THEN("the values come without the whitespace around them, folds joined by a space") {
      REQUIRE(got.in);
      CHECK(got.in->req.header("X-Pad") == "padded");
      CHECK(got.in->req.header("X-Fold") == "b");
      auto folded = got.in->req.header("X-Folded");
      REQUIRE(folded);
      CHECK(folded->front() == 'a');
      CHECK(folded->back() == 'b');
      CHECK(folded->find_first_of("\r\n") == std::string_view::npos);
    }
  }
  GIVEN("a method the server does not know") {
    auto got = parse("PROPFIND /hello HTTP/1.1\r\nHost: h\r\n\r\n");
    THEN("its text is kept, and no route serves it") {
      REQUIRE(got.in);
      CHECK(got.in->req.method == method::other);
      CHECK(got.in->req.method_name() == "PROPFIND");
    }
  }
  GIVEN("every method by its token, known or not, in any case") {
    for (std::string token :
         {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
          "PROPFIND", "M-SEARCH", "PURGE", "get", "Post", "FOO", "GETX", "GE"}) {
      auto got = parse(token + " /hello HTTP/1.1\r\nHost: h\r\n\r\n");
      THEN("the request's method is the one parse_method names for " << token) {
        REQUIRE(got.in);
        CHECK(got.in->req.method == parse_method(token));
        CHECK(got.in->req.method_name() == token);
      }
    }
  }
}

SCENARIO("a body is read whole, however it is framed", "[request-parser]") {
  WHEN("it has a Content-Length and arrives a byte at a time") {
    auto got = parse("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world", 1);
    THEN("the request carries all of it") {
      REQUIRE(got.in);
      CHECK(got.in->req.body == "hello world");
    }
  }
  WHEN("it is chunked, with a trailer") {
    auto got = parse("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\nX-Tag: late\r\n\r\n",
                     3);
    THEN("the data is the body, and the trailer's fields are trailers, not headers") {
      REQUIRE(got.in);
      CHECK(got.refused_at.empty());
      const auto& req = got.in->req;
      CHECK(req.body == "hello world");
      REQUIRE(req.trailers.size() == 2);
      CHECK(req.trailers[0] == std::pair<std::string, std::string>{"X-Checksum", "42"});
      CHECK(req.trailers[1] == std::pair<std::string, std::string>{"X-Tag", "late"});
      CHECK_FALSE(req.header("X-Tag"));
      CHECK(req.headers.size() == 2);
    }
  }
}

SCENARIO("what a trailer may not carry is refused, whatever its case", "[request-parser]") {
  for (std::string field : {"Host: evil", "cookie: a=1", "AUTHORIZATION: Basic eA=="}) {
    WHEN("the trailer carries '" << field << "'") {
      auto got = parse("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "1\r\na\r\n0\r\n"
                       + field + "\r\n\r\n");
      THEN("the request is answered with 400, naming the field") {
        CHECK(got.refused_at == "trailer");
        REQUIRE(got.in);
        // The refusal is a handler that answers 400: the connection then closes.
        CHECK_FALSE(got.in->req.keep_alive);
        request trailing;
        trailing.trailers.emplace_back(field.substr(0, field.find(':')), "x");
        auto why = check_trailers(trailing);
        REQUIRE(why);
        CHECK(why->message
              == "trailer field '" + trailing.trailers[0].first
                + "' is not allowed in a trailer (RFC 9110 6.5.1)");
      }
    }
  }
}

SCENARIO("the header checks see the parsed fields", "[request-parser]") {
  WHEN("Host comes twice, in different cases") {
    auto got = parse("GET /hello HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n");
    THEN("it is refused after its header, with 400") {
      CHECK(got.refused_at == "header");
      REQUIRE(got.refusal);
      CHECK(got.refusal->status == status::bad_request);
      CHECK(got.refusal->message == "more than one Host header");
    }
  }
  WHEN("the bytes end inside the header") {
    auto got = parse("GET /hello HTTP/1.1\r\nHost: h\r\n", 5);
    THEN("there is no request yet, and nothing to refuse: the session waits for more") {
      CHECK_FALSE(got.in);
      CHECK_FALSE(got.refusal);
      CHECK(got.used == 0);  // Beast takes a header only whole
    }
  }
  WHEN("an HTTP/1.1 request has no Host") {
    auto got = parse("GET /hello HTTP/1.1\r\nX-A: 1\r\n\r\n");
    THEN("it is refused with 400") {
      REQUIRE(got.refusal);
      CHECK(got.refusal->message == "missing Host header");
    }
  }
  WHEN("a transfer-coding other than chunked is named") {
    auto got = parse("POST /echo HTTP/1.1\r\nHost: h\r\ntransfer-encoding: gzip\r\n\r\n");
    THEN("it is refused with 501") {
      REQUIRE(got.refusal);
      CHECK(got.refusal->status == status::not_implemented);
      CHECK(got.refusal->message == "unsupported transfer-coding 'gzip'");
    }
  }
  WHEN("a client waits for 100 Continue") {
    const server_config cfg;
    incoming_request incoming{cfg};
    std::string_view bytes = "POST /echo HTTP/1.1\r\nHost: h\r\nexpect: 100-continue\r\n"
                             "Content-Length: 3\r\n\r\n";
    boost::beast::error_code ec;
    incoming.parser().put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    REQUIRE(incoming.parser().is_header_done());
    THEN("the session sees it once the header is in") {
      CHECK_FALSE(incoming.header_done());
      CHECK(wants_100_continue(incoming.get()));
    }
  }
  WHEN("a header is larger than --max-header-bytes") {
    server_config cfg;
    cfg.max_header_bytes = 1024;
    std::string bytes = "GET /hello HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 40; ++i)
      bytes += "X-Field-" + std::to_string(i) + ": " + std::string(20, 'v') + "\r\n";
    bytes += "\r\n";
    auto got = parse(cfg, bytes);
    THEN("it is refused with 431, whether Beast's limit or the parsed header's size sees it") {
      REQUIRE(got.refusal);
      CHECK(got.refusal->status == status::request_header_fields_too_large);
    }
  }
}

SCENARIO("whether the connection stays open is read from the request", "[request-parser]") {
  struct example {
    const char* bytes;
    bool keep_alive;
  };
  const example examples[] = {
    {"GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", true},
    {"GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
    {"GET /hello HTTP/1.1\r\nHost: h\r\nconnection: Keep-Alive, CLOSE\r\n\r\n", false},
    {"GET /hello HTTP/1.0\r\n\r\n", false},
    {"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
    // Connection fields are one list (RFC 9110 7.6.1): "close" in any of them closes.
    {"GET /hello HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
     false},
    {"GET /hello HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", false},
    // Beast reads Proxy-Connection as Connection (closing is always safe; so is keeping an
    // HTTP/1.0 connection its client asked to keep).
    {"GET /hello HTTP/1.1\r\nHost: h\r\nProxy-Connection: close\r\n\r\n", false},
    {"GET /hello HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n", true},
    // A trailer cannot close what the header kept open: it is not the header.
    {"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
     "0\r\nProxy-Connection: close\r\n\r\n",
     true},
    // HTTP/1.0 with Transfer-Encoding: faulty framing, closed whatever it asks (RFC 9112 6.1).
    {"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
     "0\r\n\r\n",
     false},
  };
  for (const auto& e : examples) {
    WHEN("the request is " << e.bytes) {
      auto got = parse(e.bytes);
      THEN("keep_alive is " << e.keep_alive) {
        REQUIRE(got.in);
        CHECK(got.refused_at.empty());
        CHECK(got.in->req.keep_alive == e.keep_alive);
      }
    }
  }
}

SCENARIO("a parser reads one request, and restart makes it read the next", "[request-parser]") {
  GIVEN("two pipelined requests in one buffer") {
    std::string_view bytes =
      "GET /hello HTTP/1.1\r\nHost: a\r\nX-One: 1\r\n\r\nGET /hello HTTP/1.1\r\nHost: b\r\n\r\n";
    const server_config cfg;
    incoming_request incoming{cfg};
    boost::beast::error_code ec;
    auto used = incoming.parser().put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    REQUIRE(incoming.parser().is_done());
    auto first = incoming.finish(routes()).first;
    incoming.restart();
    incoming.parser().put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    REQUIRE(incoming.parser().is_done());
    auto second = incoming.finish(routes()).first;
    THEN("each request has its own fields only") {
      REQUIRE(first->req.headers.size() == 2);
      CHECK(first->req.header("Host") == "a");
      REQUIRE(second->req.headers.size() == 1);
      CHECK(second->req.header("Host") == "b");
    }
  }
}

SCENARIO("field names compare without case, as HTTP wants", "[request-parser]") {
  THEN("iequals agrees with ASCII lower-casing on every pair of bytes") {
    auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
    int disagreements = 0;
    for (int x = 0; x < 256; ++x)
      for (int y = 0; y < 256; ++y) {
        char a = static_cast<char>(x), b = static_cast<char>(y);
        if (iequals({&a, 1}, {&b, 1}) != (lower(x) == lower(y)))
          ++disagreements;
      }
    CHECK(disagreements == 0);
    CHECK(iequals("Transfer-Encoding", "transfer-encoding"));
    CHECK_FALSE(iequals("Host", "Hos"));
    CHECK_FALSE(iequals("a-b", "a\rb"));  // '-' and CR differ only in the 0x20 bit
    CHECK_FALSE(iequals("[", "{"));  // so do these, and they are not letters
  }
}

namespace {

/// `count` fields "X-F<i>: v" (each 10–15 bytes as sent).
std::string small_fields(int count, int first = 0) {
  std::string fields;
  for (int i = first; i < first + count; ++i)
    fields += "X-F" + std::to_string(i) + ": v\r\n";
  return fields;
}

/// The request line and Host, then `count` small fields in reads of about ten fields, and no
/// end. Each read stops one byte into the next field: Beast then parses every field before it
/// and leaves too little unparsed to start waiting for the header's end, which is how a header
/// passed Beast's own limit.
std::vector<std::string> endless_header(int count) {
  std::string all = "GET /hello HTTP/1.1\r\nHost: h\r\n" + small_fields(count);
  std::vector<std::string> reads;
  std::size_t from = 0;
  for (int field = 0; from < all.size(); field += 10) {
    auto end = all.find("X-F" + std::to_string(field + 10) + ":");
    auto cut = end == std::string::npos ? all.size() : end + 1;
    reads.push_back(all.substr(from, cut - from));
    from = cut;
  }
  return reads;
}

/// Feeds `reads` one after the other as the session does (the bytes a `put` took are
/// consumed, the rest waits for the next read); the refusal, if the parse failed.
std::optional<request_refusal> refusal_of(const server_config& cfg,
                                          const std::vector<std::string>& reads) {
  incoming_request incoming{cfg};
  std::string buffer;
  for (const auto& read : reads) {
    buffer += read;
    boost::beast::error_code ec;
    buffer.erase(0, incoming.parser().put(boost::asio::buffer(buffer), ec));
    if (ec && ec != boost::beast::http::error::need_more)
      return incoming.refusal(ec);
  }
  return std::nullopt;
}

}  // namespace

SCENARIO("a header is bounded as a whole, however its fields are cut into reads",
         "[request-parser][attack]") {
  // Beast 1.81 checks its header limit per `put`, and the session consumes the fields each
  // `put` parsed: a header whose reads each ended on a field's end never reached it, and
  // grew until the header timeout (10 s by default) ended it.
  GIVEN("a header that never ends, sent in reads of ten whole fields") {
    WHEN("it holds more than --max-header-fields (100) fields") {
      auto why = refusal_of(server_config{}, endless_header(200));
      THEN("it is refused with 431 before the header ends") {
        REQUIRE(why);
        CHECK(why->status == status::request_header_fields_too_large);
        CHECK(why->message == "request header has more than 100 fields");
      }
    }
    WHEN("its fields pass --max-header-bytes (8 KiB), with a field bound that allows them") {
      server_config cfg;
      cfg.max_header_fields = 10'000;
      auto why = refusal_of(cfg, endless_header(2'000));  // ~28 KB
      THEN("it is refused with 431 before the header ends") {
        REQUIRE(why);
        CHECK(why->status == status::request_header_fields_too_large);
        CHECK(why->message == "request header block is larger than 8192 bytes");
      }
    }
  }
  GIVEN("a header with exactly --max-header-fields fields, in reads of ten fields") {
    auto reads = endless_header(99);
    reads.push_back("\r\n");
    std::string bytes;
    for (const auto& r : reads)
      bytes += r;
    THEN("it is served, however it is cut") {
      CHECK_FALSE(refusal_of(server_config{}, reads));
      auto got = parse(bytes, 100);
      REQUIRE(got.in);
      CHECK(got.refused_at.empty());
      CHECK(got.in->req.headers.size() == 100);
    }
  }
}

SCENARIO("a trailer section has the header's bounds of its own", "[request-parser][attack]") {
  const std::string opening =
    "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n";
  WHEN("a trailer of 101 fields arrives") {
    auto got = parse(server_config{}, opening + small_fields(101) + "\r\n");
    THEN("431 names the trailer section") {
      REQUIRE(got.refusal);
      CHECK(got.refusal->status == status::request_header_fields_too_large);
      CHECK(got.refusal->message == "request trailer section has more than 100 fields");
    }
  }
  WHEN("a trailer passes --max-header-bytes, with a field bound that allows it") {
    server_config cfg;
    cfg.max_header_fields = 10'000;
    auto got = parse(cfg, opening + small_fields(1'000) + "\r\n");
    THEN("431 names the trailer section's size") {
      REQUIRE(got.refusal);
      CHECK(got.refusal->status == status::request_header_fields_too_large);
      CHECK(got.refusal->message == "request trailer section is larger than 8192 bytes");
    }
  }
  WHEN("a header of 60 fields is followed by a trailer of 60") {
    auto got = parse("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     + small_fields(60) + "\r\n1\r\nx\r\n0\r\n" + small_fields(60) + "\r\n");
    THEN("each is within its own bound: the request is served") {
      REQUIRE(got.in);
      CHECK(got.refused_at.empty());
      CHECK(got.in->req.trailers.size() == 60);
    }
  }
}
SCENARIO("a declared Content-Length does not reserve the body before it arrives",
         "[request-parser][attack]") {
  GIVEN("a server that takes bodies of up to 2 MiB") {
    server_config cfg;
    cfg.max_body_bytes = 2 << 20;
    WHEN("a header declares 1 MiB and no byte of the body comes") {
      incoming_request incoming{cfg};
      std::string_view bytes = "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n";
      boost::beast::error_code ec;
      incoming.parser().put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      REQUIRE(incoming.parser().is_header_done());
      REQUIRE_FALSE(incoming.header_done());
      incoming.parser().put(boost::asio::buffer(bytes.data(), 0), ec);  // the body begins
      THEN("at most 64 KiB are set aside for it") {
        REQUIRE(incoming.parser().get());
        CHECK(incoming.parser().get()->body.capacity() <= request_parser::body_reserve_max);
      }
    }
  }
}
