// What check_header refuses in a parsed request header, whatever the parser let through: a
// CR or LF inside a value (a smuggling vector, refused wherever in the value it stands), a
// missing or repeated Host, an expectation other than 100-continue.
#include "server/request_reader.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fastactor;

namespace {

request get_without_host() {
  request msg;
  msg.method = method::get;
  msg.target = "/hello";
  msg.version = 11;
  return msg;
}

request get_hello() {
  auto msg = get_without_host();
  msg.headers.emplace_back("Host", "h");
  return msg;
}

/// check_header's refusal as "STATUS message", or "" if it lets the header through.
std::string refusal_of(const request& msg) {
  auto why = check_header(msg);
  return why ? std::to_string(static_cast<int>(why->status)) + " " + why->message : "";
}

}  // namespace

SCENARIO("a header field value with a CR or LF is refused, wherever it stands") {
  GIVEN("values with a CR or an LF at the start, in the middle, at the end, or long") {
    const std::string long_value(4000, 'a');
    const std::vector<std::string> values{
      "\ra", "a\nb", "ab\r", "a\r\n b", long_value + "\n", long_value + "\r" + long_value};
    THEN("each gets 400, naming its field") {
      for (const auto& value : values) {
        auto msg = get_hello();
        msg.headers.emplace_back("X-Smuggle", value);
        auto why = check_header(msg);
        INFO("value of " << value.size() << " bytes");
        REQUIRE(why);
        CHECK(why->status == status::bad_request);
        CHECK(why->message == "header field 'X-Smuggle' has a CR or LF in its value");
      }
    }
  }
  GIVEN("values empty, or with tabs, spaces and other bytes but no CR or LF") {
    const std::vector<std::string> values{"", "a\tb", "  a  ", std::string(4000, 'x'), "\x7f\x80"};
    THEN("they pass") {
      for (const auto& value : values) {
        auto msg = get_hello();
        msg.headers.emplace_back("X-Fine", value);
        CHECK_FALSE(check_header(msg));
      }
    }
  }
}

SCENARIO("an HTTP/1.1 header needs exactly one Host, and only the 100-continue expectation") {
  WHEN("Host is missing") {
    CHECK(refusal_of(get_without_host()) == "400 missing Host header");
  }
  WHEN("Host is there twice") {
    auto msg = get_hello();
    msg.headers.emplace_back("host", "other");  // names are case-insensitive
    CHECK(refusal_of(msg) == "400 more than one Host header");
  }
  WHEN("Expect is 100-continue, in any case") {
    auto msg = get_hello();
    msg.headers.emplace_back("EXPECT", " 100-Continue ");
    CHECK(refusal_of(msg).empty());
  }
  WHEN("Expect is anything else") {
    auto msg = get_hello();
    msg.headers.emplace_back("Expect", "200-ok");
    CHECK(refusal_of(msg) == "417 unsupported expectation '200-ok'");
  }
}
