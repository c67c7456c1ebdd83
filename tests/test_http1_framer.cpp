// http1_framer: a response's writes as HTTP/1.1 bytes. flat_head is frame()'s shortcut for a
// held pipelined response (server/session.cpp, hold_flat): where it gives a head, that head
// and the body parts are exactly the bytes frame() gives; where it gives none, frame() is the
// way, and the framer's state after either is the same.
#include "protocol/http1_framer.hpp"
#include "support/joined.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fastactor;

namespace {

std::string head_and_body(std::string_view head, const std::vector<std::string>& body) {
  return std::string{head} + joined(body);
}

/// `bytes` without their Date line: two heads rendered a second apart differ only there.
std::string without_date(std::string bytes) {
  auto at = bytes.find("\r\nDate: ");
  if (at != std::string::npos)
    bytes.erase(at, bytes.find("\r\n", at + 2) - at);
  return bytes;
}

outgoing response(response_head head, std::vector<std::string> body = {}) {
  outgoing out;
  out.head = head;
  for (const auto& part : body)
    out.body_bytes += part.size();
  out.body = std::move(body);
  return out;
}

response_head head(framing body, std::size_t length = 0, status code = status::ok,
                   connection_field connection = connection_field::none) {
  response_head h;
  h.code = code;
  h.server_name = "fastactor";
  h.body = body;
  h.content_length = length;
  h.connection = connection;
  return h;
}

}  // namespace

SCENARIO("flat_head gives the bytes frame() gives, for the writes it takes", "[response-head]") {
  auto [name, out] = GENERATE(table<const char*, outgoing>({
    {"a body with its length", response(head(framing::content_length, 2), {"ok"})},
    {"a body of two parts", response(head(framing::content_length, 5), {"ab", "cde"})},
    {"HEAD: the length without the body", response(head(framing::content_length, 7))},
    {"304: no body", response(head(framing::none, 0, status::not_modified))},
    {"HTTP/1.0 keep-alive, until close",
     response(head(framing::until_close, 0, status::ok, connection_field::keep_alive), {"x"})},
  }));
  GIVEN(name) {
    http1_framer flat, framed;
    auto copy = out;
    auto text = flat.flat_head(out);
    REQUIRE(!text.empty());
    // Copied at once: the view lasts until the next head is rendered (frame() renders one).
    auto flat_bytes = head_and_body(text, out.body);
    THEN("its head and body parts are frame()'s bytes") {
      CHECK(without_date(flat_bytes) == without_date(joined(framed.frame(std::move(copy)))));
      CHECK(flat_bytes.find("\r\nDate: ") != std::string::npos);
    }
  }
}

SCENARIO("flat_head gives nothing for the writes it does not take", "[response-head]") {
  http1_framer framer;
  GIVEN("a chunked response's first write") {
    auto out = response(head(framing::chunked), {"chunk"});
    CHECK(framer.flat_head(out).empty());
  }
  GIVEN("a later write, without a head") {
    outgoing out;
    out.body = {"more"};
    out.body_bytes = 4;
    CHECK(framer.flat_head(out).empty());
  }
  GIVEN("a head with fields of the handler's") {
    name_value_list fields{{"Cache-Control", "no-store"}};
    auto h = head(framing::content_length, 2);
    h.fields = &fields;
    auto out = response(h, {"ok"});
    CHECK(framer.flat_head(out).empty());
  }
}

SCENARIO("after a chunked response, a flat one's later writes are not chunked", "[response-head]") {
  http1_framer framer;
  auto first = response(head(framing::chunked), {"a"});
  first.ends_body = true;
  CHECK(joined(framer.frame(std::move(first))).find("1\r\na\r\n") != std::string::npos);
  auto second = response(head(framing::until_close, 0, status::ok, connection_field::close));
  REQUIRE(!framer.flat_head(second).empty());
  outgoing more;
  more.body = {"rest"};
  more.body_bytes = 4;
  CHECK(joined(framer.frame(std::move(more))) == "rest");
}
