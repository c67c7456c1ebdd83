// Chunked transfer coding (RFC 9112 7.1): the framing the writer puts around streamed output.
#include "protocol/chunked.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace fastactor;

SCENARIO("chunk size lines are hexadecimal and end with CRLF", "[chunked]") {
  CHECK(chunked::size_line(1) == "1\r\n");
  CHECK(chunked::size_line(255) == "ff\r\n");
  CHECK(chunked::size_line(16384) == "4000\r\n");
  CHECK(chunked::size_line(1ull << 32) == "100000000\r\n");
  CHECK(chunked::size_line(0) == "0\r\n");
  CHECK(chunked::size_line(0xabcdef) == "abcdef\r\n");
  CHECK(chunked::size_line(SIZE_MAX) == "ffffffffffffffff\r\n");
}

SCENARIO("the last chunk carries the trailer fields and ends the message", "[chunked]") {
  GIVEN("no trailers") {
    THEN("it is a zero size line and an empty line") {
      CHECK(chunked::last_chunk("") == "0\r\n\r\n");
    }
  }
  GIVEN("a trailer field") {
    THEN("it stands between the zero size line and the final empty line") {
      CHECK(chunked::last_chunk("Fastactor-Errors: []\r\n") == "0\r\nFastactor-Errors: []\r\n\r\n");
    }
  }
}
