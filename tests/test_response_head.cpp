// The one module that renders response heads: status line, Server and Date, Content-Type,
// the handler's fields, framing and Connection; the 100 Continue line; the listener's 503.
#include "protocol/response_head.hpp"

#include <fastactor/messages.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

using namespace fastactor;

namespace {

/// The head's lines without their CRLF, the status line first; the empty line is dropped.
std::vector<std::string> lines_of(const std::string& head) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  for (auto end = head.find("\r\n"); end != std::string::npos; end = head.find("\r\n", at)) {
    lines.push_back(head.substr(at, end - at));
    at = end + 2;
  }
  if (!lines.empty() && lines.back().empty())
    lines.pop_back();
  return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  return std::count_if(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

}  // namespace

SCENARIO("a status has a code, a reason phrase and knows whether it has a body", "[status]") {
  GIVEN("named statuses") {
    THEN("their codes and reason phrases are RFC 9110's") {
      CHECK(code(status::ok) == 200);
      CHECK(reason(status::ok) == "OK");
      CHECK(reason(status::content_too_large) == "Content Too Large");
      CHECK(reason(status::request_header_fields_too_large) == "Request Header Fields Too Large");
      CHECK(to_string(status::service_unavailable) == "503");
    }
    THEN("204 and 304 have no body; 1xx are not final") {
      CHECK_FALSE(has_body(status::no_content));
      CHECK_FALSE(has_body(status::not_modified));
      CHECK(has_body(status::ok));
      CHECK_FALSE(is_final(status::continue_));
      CHECK(is_final(status::service_unavailable));
    }
  }
  GIVEN("a code without a name") {
    auto odd = to_status(299);
    THEN("it keeps its code and is a final status with the reason 'Unknown'") {
      CHECK(code(odd) == 299);
      CHECK(is_final(odd));
      CHECK(reason(odd) == "Unknown");
      CHECK_FALSE(is_final(to_status(600)));
    }
  }
}

SCENARIO("a worker error's status goes over the wire as the 16-bit code", "[status][remote]") {
  GIVEN("a worker error with a status") {
    worker_error sent{"node a:1", "remote worker failed", status::bad_gateway};
    WHEN("it is serialized as CAF does for a remote actor and read back") {
      std::vector<char> typed_bytes;
      caf::binary_serializer{nullptr, typed_bytes}(sent);
      worker_error received;
      caf::binary_deserializer{nullptr, typed_bytes}(received);
      THEN("it is the same error, and the bytes are those of a plain uint16 status") {
        CHECK(received == sent);
        std::string source = sent.source, message = sent.message;
        std::uint16_t raw = 502;
        std::vector<char> raw_bytes;
        caf::binary_serializer{nullptr, raw_bytes}(source, message, raw);
        CHECK(typed_bytes == raw_bytes);
      }
    }
  }
}

SCENARIO("the writer's heads are rendered with status, server, date, fields and framing",
         "[response-head]") {
  name_value_list fields{{"X-Request", "7"}, {"Cache-Control", "no-store"}};
  GIVEN("a complete 200 response to an HTTP/1.1 request") {
    auto head = render({status::ok,
                        "unit-test",
                        &fields,
                        {},
                        framing::content_length,
                        42,
                        connection_for(11, true)});
    auto lines = lines_of(head);
    THEN("the status line, Server, Date, the fields, the default type and Content-Length") {
      REQUIRE(lines.size() == 7);
      CHECK(lines[0] == "HTTP/1.1 200 OK");
      CHECK(lines[1] == "Server: unit-test");
      CHECK(lines[2].rfind("Date: ", 0) == 0);
      CHECK(lines[2].size() == 6 + 29);  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
      CHECK(lines[3] == "X-Request: 7");
      CHECK(lines[4] == "Cache-Control: no-store");
      CHECK(lines[5] == "Content-Type: text/plain; charset=utf-8");
      CHECK(lines[6] == "Content-Length: 42");
    }
    THEN("the head ends with an empty line") {
      REQUIRE(head.size() >= 4);
      CHECK(head.compare(head.size() - 4, 4, "\r\n\r\n") == 0);
    }
  }
  GIVEN("a streamed response") {
    auto head =
      render({status::ok, "s", &fields, {}, framing::chunked, 0, connection_for(11, true)});
    THEN("it is chunked and announces the error trailer, without Content-Length") {
      auto lines = lines_of(head);
      CHECK(has_line(lines, "Transfer-Encoding: chunked"));
      CHECK(has_line(lines, "Trailer: Fastactor-Errors"));
      CHECK(count_prefix(lines, "Content-Length") == 0);
      CHECK(count_prefix(lines, "Connection") == 0);
    }
  }
  GIVEN("the handler set its own Content-Type") {
    name_value_list typed{{"Content-Type", "text/html"}, {"X-A", "1"}};
    WHEN("the response is the handler's") {
      auto lines = lines_of(
        render({status::created, "s", &typed, {}, framing::none, 0, connection_field::none}));
      THEN("the handler's type is the only one") {
        CHECK(lines[0] == "HTTP/1.1 201 Created");
        CHECK(has_line(lines, "Content-Type: text/html"));
        CHECK(count_prefix(lines, "Content-Type") == 1);
      }
    }
    WHEN("the response is an error report") {
      auto lines = lines_of(render({status::bad_gateway, "s", &typed, "application/json",
                                    framing::content_length, 10, connection_for(11, false)}));
      THEN("the report's JSON type replaces it, and the connection closes") {
        CHECK(lines[0] == "HTTP/1.1 502 Bad Gateway");
        CHECK(has_line(lines, "Content-Type: application/json"));
        CHECK(count_prefix(lines, "Content-Type") == 1);
        CHECK(has_line(lines, "X-A: 1"));
        CHECK(lines.back() == "Connection: close");
      }
    }
  }
  GIVEN("fields of every size around the 512 bytes a head is first written in") {
    THEN("each head is whole, in order, ending with the framing and the empty line") {
      for (std::size_t size : {0u, 200u, 300u, 350u, 400u, 500u, 600u, 5000u}) {
        name_value_list big{{"X-Big", std::string(size, 'v')}, {"X-After", "1"}};
        auto head = render({status::ok,
                            "unit-test",
                            &big,
                            {},
                            framing::content_length,
                            42,
                            connection_for(11, false)});
        auto lines = lines_of(head);
        INFO("value size " << size);
        REQUIRE(lines.size() == 8);
        CHECK(lines[3] == "X-Big: " + std::string(size, 'v'));
        CHECK(lines[4] == "X-After: 1");
        CHECK(lines[7] == "Connection: close");
        CHECK(head.compare(head.size() - 4, 4, "\r\n\r\n") == 0);
      }
    }
  }
  GIVEN("a persistent HTTP/1.0 connection, and a code without a name") {
    auto lines = lines_of(render(
      {to_status(299), "s", nullptr, {}, framing::until_close, 0, connection_for(10, true)}));
    THEN("Connection says keep-alive, there is no framing field, and the reason is Unknown") {
      CHECK(lines[0] == "HTTP/1.1 299 Unknown");
      CHECK(lines.back() == "Connection: keep-alive");
      CHECK(count_prefix(lines, "Content-Length") == 0);
      CHECK(count_prefix(lines, "Transfer-Encoding") == 0);
    }
  }
}

SCENARIO("a head like the last one on its thread is that head again, and any difference is seen",
         "[response-head]") {
  // render keeps the last head without handler fields per thread (last_head): each head
  // below is rendered right after one that differs from it in one input only, then again.
  const response_head base{status::ok, "unit-test",           nullptr, {}, framing::content_length,
                           2,          connection_field::none};
  auto with = [&](auto change) {
    auto head = base;
    change(head);
    return head;
  };
  const name_value_list no_fields;
  const name_value_list one_field{{"X-A", "1"}};
  struct variant {
    std::string what;
    response_head head;
    std::string line;  ///< a line only this head has ("" for none)
  };
  const std::vector<variant> variants{
    {"the status", with([](response_head& h) { h.code = status::not_found; }),
     "HTTP/1.1 404 Not Found"},
    {"the server name", with([](response_head& h) { h.server_name = "other"; }), "Server: other"},
    {"the content type", with([](response_head& h) { h.content_type = "application/json"; }),
     "Content-Type: application/json"},
    {"the framing", with([](response_head& h) { h.body = framing::chunked; }),
     "Transfer-Encoding: chunked"},
    {"the length", with([](response_head& h) { h.content_length = 20; }), "Content-Length: 20"},
    {"the connection", with([](response_head& h) { h.connection = connection_field::close; }),
     "Connection: close"},
    {"an empty field list, which is no difference",
     with([&](response_head& h) { h.fields = &no_fields; }), ""},
    {"a handler's field", with([&](response_head& h) { h.fields = &one_field; }), "X-A: 1"},
  };
  // The Date line may change between two renders if a second passes; the rest may not.
  auto without_date = [](std::vector<std::string> lines) {
    REQUIRE(lines.size() > 2);
    lines.erase(lines.begin() + 2);
    return lines;
  };
  for (const auto& v : variants) {
    WHEN("a head differs from the last one in " << v.what) {
      auto first = lines_of(render(base));
      auto second = lines_of(render(v.head));
      auto third = lines_of(render(base));
      THEN("each is its own head") {
        CHECK(first[0] == "HTTP/1.1 200 OK");
        CHECK(first.back() == "Content-Length: 2");  // no Connection after it
        CHECK(without_date(third) == without_date(first));
        if (v.line.empty()) {
          CHECK(without_date(second) == without_date(first));
        } else {
          CHECK(has_line(second, v.line));
          CHECK_FALSE(has_line(first, v.line));
          CHECK_FALSE(has_line(third, v.line));
        }
      }
    }
  }
}

SCENARIO("the interim and canned responses come from the same module", "[response-head]") {
  WHEN("a client waits for 100 Continue") {
    THEN("it gets the bare interim status line") {
      CHECK(continue_response() == "HTTP/1.1 100 Continue\r\n\r\n");
    }
  }
  WHEN("a connection over the limit is turned away") {
    auto response = overload_response("edge-7");
    auto split = response.find("\r\n\r\n");
    REQUIRE(split != std::string::npos);
    auto lines = lines_of(response.substr(0, split + 4));
    auto body = response.substr(split + 4);
    THEN("it is a 503 with the configured Server name, Retry-After, and a closed connection") {
      CHECK(lines[0] == "HTTP/1.1 503 Service Unavailable");
      CHECK(has_line(lines, "Server: edge-7"));
      CHECK(has_line(lines, "Retry-After: 1"));
      CHECK(has_line(lines, "Content-Type: application/json"));
      CHECK(has_line(lines, "Connection: close"));
      CHECK(has_line(lines, "Content-Length: " + std::to_string(body.size())));
    }
    THEN("its body is the error report every error response has") {
      auto report = nlohmann::json::parse(body);
      REQUIRE(report["errors"].size() == 1);
      CHECK(report["errors"][0]["source"] == "server");
      CHECK(report["errors"][0]["status"] == 503);
      CHECK(report["errors"][0]["message"] == "too many connections, retry later");
    }
  }
}
