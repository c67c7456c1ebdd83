// Content negotiation for compression (protocol/accept_encoding.hpp) and what is worth
// compressing (protocol/compressible_type.hpp).

#include "protocol/accept_encoding.hpp"
#include "protocol/compressible_type.hpp"

#include <catch2/catch.hpp>

using namespace fastactor;

namespace {

const coding_preference server_order{content_coding::zstd, content_coding::br,
                                     content_coding::gzip};

content_coding pick(const std::string& accept, const coding_preference& prefer = server_order) {
  return negotiate_coding({{"Accept-Encoding", accept}}, prefer);
}

}  // namespace

SCENARIO("a client's Accept-Encoding picks the coding", "[compression][negotiation]") {
  GIVEN("a server that prefers zstd, then br, then gzip") {
    THEN("without the field nothing is coded: the client may not be able to decode") {
      CHECK(negotiate_coding({{"Host", "x"}}, server_order) == content_coding::identity);
    }
    THEN("an empty field asks for identity") {
      CHECK(pick("") == content_coding::identity);
    }
    THEN("among equal weights the server's order decides") {
      CHECK(pick("gzip, deflate, br, zstd") == content_coding::zstd);  // Chromium's
      CHECK(pick("gzip, deflate, br") == content_coding::br);  // Firefox's, older Chromium
      CHECK(pick("gzip") == content_coding::gzip);
      CHECK(pick("deflate") == content_coding::identity);
    }
    THEN("a higher q wins over the server's order") {
      CHECK(pick("zstd;q=0.5, gzip;q=0.8") == content_coding::gzip);
      CHECK(pick("br;q=0.001, gzip;q=0") == content_coding::br);
    }
    THEN("q=0 excludes a coding") {
      CHECK(pick("zstd;q=0, br;q=0.0, gzip") == content_coding::gzip);
      CHECK(pick("gzip;q=0") == content_coding::identity);
    }
    THEN("* stands for every coding not named") {
      CHECK(pick("*") == content_coding::zstd);
      CHECK(pick("zstd;q=0, *") == content_coding::br);
      CHECK(pick("*;q=0") == content_coding::identity);
      CHECK(pick("gzip;q=0.4, *;q=0.5") == content_coding::zstd);
    }
    THEN("identity named with a higher weight than any coding wins") {
      CHECK(pick("gzip;q=0.5, identity") == content_coding::identity);
      CHECK(pick("gzip, identity;q=0.5") == content_coding::gzip);
      CHECK(pick("gzip, identity;q=0") == content_coding::gzip);
    }
    THEN("tokens are case-insensitive, x-gzip is gzip, whitespace is optional") {
      CHECK(pick("GZIP") == content_coding::gzip);
      CHECK(pick("x-gzip") == content_coding::gzip);
      CHECK(pick(" \tBr ;  q=1.0 ") == content_coding::br);
    }
    THEN("the fields of every Accept-Encoding line count") {
      CHECK(negotiate_coding({{"Accept-Encoding", "gzip;q=0.2"}, {"accept-encoding", "br"}},
                             server_order)
            == content_coding::br);
    }
    THEN("the server offers only what --compress-prefer lists") {
      CHECK(pick("zstd, br", {content_coding::gzip}) == content_coding::identity);
      CHECK(pick("zstd, gzip", {content_coding::gzip, content_coding::zstd})
            == content_coding::gzip);
    }
  }
}

SCENARIO("a malformed Accept-Encoding never fails a request", "[compression][negotiation]") {
  GIVEN("members that do not parse") {
    THEN("they are ignored; the rest still count") {
      CHECK(pick("gzip;q=2") == content_coding::identity);  // q above 1
      CHECK(pick("gzip;q=2, br") == content_coding::br);
      CHECK(pick(";;") == content_coding::identity);
      CHECK(pick(",,, ,") == content_coding::identity);
      CHECK(pick("gzip;;q=1") == content_coding::identity);
      CHECK(pick("gzip;q=") == content_coding::identity);
      CHECK(pick("gzip;q=0.1234") == content_coding::identity);  // four decimals
      CHECK(pick("gzip;q=1.001") == content_coding::identity);
      CHECK(pick("gzip;q=-1") == content_coding::identity);
      CHECK(pick("gzip;q=abc, zstd") == content_coding::zstd);
      CHECK(pick("gzip;level=9") == content_coding::gzip);  // an unknown parameter: ignored
      CHECK(pick(std::string("gz\0ip", 5)) == content_coding::identity);
    }
  }
  GIVEN("10 KiB of tokens") {
    std::string many;
    while (many.size() < 10 * 1024)
      many += "x-unknown-coding;q=0.5, ";
    THEN("nothing is picked from them, and what follows still counts") {
      CHECK(pick(many) == content_coding::identity);
      CHECK(pick(many + "gzip") == content_coding::gzip);
    }
  }
}

SCENARIO("--compress-prefer lists the codings the server offers", "[compression][options]") {
  std::string error;
  WHEN("it names codings once each") {
    auto prefer = parse_coding_preference("gzip, zstd", error);
    THEN("they are offered in that order") {
      CHECK(error.empty());
      CHECK(prefer == coding_preference{content_coding::gzip, content_coding::zstd});
    }
  }
  WHEN("it names something else, or a coding twice, or nothing") {
    for (auto bad : {"deflate", "gzip,gzip", "", "gzip,", "identity", "*"}) {
      error.clear();
      CAPTURE(bad);
      CHECK(parse_coding_preference(bad, error).empty());
      CHECK_FALSE(error.empty());
    }
  }
}

SCENARIO("text is compressed, what is compressed already is not", "[compression]") {
  for (auto type : {"text/plain", "text/html; charset=utf-8", "Text/Event-Stream",
                    "application/json", "application/x-ndjson", "application/problem+json",
                    "image/svg+xml", "application/atom+xml", "application/javascript"}) {
    CAPTURE(type);
    CHECK(compressible_type(type));
  }
  for (auto type : {"", "application/octet-stream", "image/png", "video/mp4", "audio/ogg",
                    "application/zip", "application/gzip", "font/woff2", "texts/plain"}) {
    CAPTURE(type);
    CHECK_FALSE(compressible_type(type));
  }
}
