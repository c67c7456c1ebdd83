// Server-Sent Events encoding, checked against the WHATWG event-stream format's parsing rules
// (a small parser below follows the spec's algorithm, so round trips prove the encoding).
#include <fastactor/sse.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace fastactor;

namespace {

struct parsed_event {
  std::string type, data, last_id;
};

/// The spec's "interpret an event stream" algorithm (what EventSource does).
std::vector<parsed_event> parse_stream(const std::string& stream) {
  std::vector<parsed_event> out;
  std::string data, type, last_id;
  bool data_seen = false;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    auto end = stream.find_first_of("\r\n", pos);
    if (end == std::string::npos)
      break;
    auto line = stream.substr(pos, end - pos);
    pos =
      end + ((stream[end] == '\r' && end + 1 < stream.size() && stream[end + 1] == '\n') ? 2 : 1);
    if (line.empty()) {  // dispatch
      if (data_seen) {
        if (!data.empty() && data.back() == '\n')
          data.pop_back();
        out.push_back({type.empty() ? "message" : type, data, last_id});
      }
      data.clear();
      type.clear();
      data_seen = false;
      continue;
    }
    if (line[0] == ':')
      continue;
    auto colon = line.find(':');
    auto field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ')
      value.erase(0, 1);
    if (field == "event")
      type = value;
    else if (field == "data") {
      data += value + "\n";
      data_seen = true;
    } else if (field == "id" && value.find('\0') == std::string::npos)
      last_id = value;
  }
  return out;
}

}  // namespace

SCENARIO("an event encodes its fields and ends with an empty line", "[sse]") {
  CHECK(encode_sse({"tick", "hello", "7", -1}) == "event: tick\nid: 7\ndata: hello\n\n");
  CHECK(encode_sse({"", "x", "", 3000}) == "retry: 3000\ndata: x\n\n");
  CHECK(encode_sse({"", "", "", 500}) == "retry: 500\n\n");
}

SCENARIO("multi-line data becomes several data lines and parses back unchanged", "[sse]") {
  for (std::string payload : {"a\nb", "a\r\nb", "a\rb", "line\n", "\nstart", "a\n\nb",
                              " leading space", "  two", "colon: inside", "trailing\r\n"}) {
    INFO(payload);
    auto events = parse_stream(encode_sse({"m", payload, "1", -1}));
    REQUIRE(events.size() == 1);
    // The format normalizes CR and CRLF to LF.
    std::string expected;
    for (std::size_t i = 0; i < payload.size(); ++i) {
      if (payload[i] == '\r') {
        expected += '\n';
        if (i + 1 < payload.size() && payload[i + 1] == '\n')
          ++i;
      } else {
        expected += payload[i];
      }
    }
    CHECK(events[0].data == expected);
    CHECK(events[0].type == "m");
  }
}

SCENARIO("line breaks cannot break out of the event and id fields", "[sse]") {
  auto text = encode_sse({"evil\ndata: injected", "real", "1\n2\r3", -1});
  auto events = parse_stream(text);
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "real");
  CHECK(events[0].type == "evildata: injected");
  CHECK(events[0].last_id == "123");
}

SCENARIO("an id holding NUL would be ignored by browsers, so NUL is dropped", "[sse]") {
  auto events = parse_stream(encode_sse({"", "x",
                                         std::string("4\0"
                                                     "2",
                                                     3),
                                         -1}));
  REQUIRE(events.size() == 1);
  CHECK(events[0].last_id == "42");
}

SCENARIO("comments keep a stream alive and dispatch nothing", "[sse]") {
  CHECK(sse_comment("ping") == ": ping\n\n");
  CHECK(parse_stream(sse_comment("ping") + encode_sse({"", "after", "", -1})).size() == 1);
}

SCENARIO("Last-Event-ID values are read as numbers when they are numbers", "[sse]") {
  CHECK(parse_event_id("41") == std::uint64_t{41});
  CHECK_FALSE(parse_event_id("abc"));
  CHECK_FALSE(parse_event_id("12x"));
  CHECK_FALSE(parse_event_id(""));
}
