// Response compression: the content-coding tokens, and the gzip, Brotli and zstd encoders
// checked against the reference decoders, flush by flush.
#include "protocol/content_encoder.hpp"

#include <brotli/decode.h>
#include <catch2/catch.hpp>
#include <zlib.h>
#include <zstd.h>

#include <random>

using namespace fastactor;

namespace {

// One response body's decoder, fed the compressed bytes as they arrive; decoded() is all it
// could produce from them.
class incremental_decoder {
public:
  explicit incremental_decoder(content_coding coding) : coding_(coding) {
    if (coding == content_coding::gzip)
      inflateInit2(&zlib_, 15 + 16);  // gzip wrapper only
    else if (coding == content_coding::br)
      brotli_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    else
      zstd_ = ZSTD_createDStream();
  }
  ~incremental_decoder() {
    if (coding_ == content_coding::gzip)
      inflateEnd(&zlib_);
    BrotliDecoderDestroyInstance(brotli_);
    ZSTD_freeDStream(zstd_);
  }
  incremental_decoder(const incremental_decoder&) = delete;
  incremental_decoder& operator=(const incremental_decoder&) = delete;

  /// False on a decoding error.
  bool feed(const std::string& bytes) {
    if (coding_ == content_coding::gzip)
      return feed_zlib(bytes);
    if (coding_ == content_coding::br)
      return feed_brotli(bytes);
    return feed_zstd(bytes);
  }
  const std::string& decoded() const { return decoded_; }
  bool ended() const { return ended_; }

private:
  bool feed_zlib(const std::string& bytes) {
    zlib_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zlib_.avail_in = static_cast<uInt>(bytes.size());
    for (;;) {
      unsigned char buf[16384];
      zlib_.next_out = buf;
      zlib_.avail_out = sizeof(buf);
      int rc = inflate(&zlib_, Z_NO_FLUSH);
      decoded_.append(reinterpret_cast<char*>(buf), sizeof(buf) - zlib_.avail_out);
      if (rc == Z_STREAM_END)
        ended_ = true;
      if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END)
        return false;
      if (zlib_.avail_out != 0)
        return true;
    }
  }

  bool feed_brotli(const std::string& bytes) {
    auto* next_in = reinterpret_cast<const std::uint8_t*>(bytes.data());
    std::size_t avail_in = bytes.size();
    for (;;) {
      std::uint8_t buf[16384];
      std::uint8_t* next_out = buf;
      std::size_t avail_out = sizeof(buf);
      auto rc =
        BrotliDecoderDecompressStream(brotli_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      decoded_.append(reinterpret_cast<char*>(buf), sizeof(buf) - avail_out);
      if (rc == BROTLI_DECODER_RESULT_ERROR)
        return false;
      if (rc == BROTLI_DECODER_RESULT_SUCCESS)
        ended_ = true;
      if (rc != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
        return true;
    }
  }

  bool feed_zstd(const std::string& bytes) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    for (;;) {
      char buf[16384];
      ZSTD_outBuffer out{buf, sizeof(buf), 0};
      std::size_t rc = ZSTD_decompressStream(zstd_, &out, &in);
      decoded_.append(buf, out.pos);
      if (ZSTD_isError(rc))
        return false;
      if (rc == 0)
        ended_ = true;
      if (in.pos == in.size && out.pos < out.size)
        return true;
    }
  }

  content_coding coding_;
  z_stream zlib_{};
  BrotliDecoderState* brotli_ = nullptr;
  ZSTD_DStream* zstd_ = nullptr;
  std::string decoded_;
  bool ended_ = false;
};

// Writes as a stream carries them: JSON-ish lines, and now and then random bytes (which do not
// compress), in parts of varied sizes.
std::vector<std::string> mixed_parts(std::size_t total, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> parts;
  std::size_t size = 0;
  for (int n = 0; size < total; ++n) {
    std::string part;
    if (n % 7 == 3) {
      part.resize(rng() % 3000 + 1);
      for (auto& c : part)
        c = static_cast<char>(rng());
    } else {
      int lines = static_cast<int>(rng() % 40) + 1;
      for (int i = 0; i < lines; ++i)
        part += "{\"id\":" + std::to_string(n * 100 + i) + ",\"user\":\"user"
          + std::to_string(rng() % 500) + "\",\"event\":\"tick\",\"value\":" + std::to_string(rng())
          + "}\n";
    }
    size += part.size();
    parts.push_back(std::move(part));
  }
  return parts;
}

std::string joined(const std::vector<std::string>& parts, std::size_t from, std::size_t to) {
  std::string all;
  for (std::size_t i = from; i < to; ++i)
    all += parts[i];
  return all;
}

content_coding any_coding() {
  return GENERATE(content_coding::gzip, content_coding::br, content_coding::zstd);
}

}  // namespace

SCENARIO("content codings are named by their tokens, case-insensitively", "[content_coding]") {
  CHECK(token_of(content_coding::identity) == "identity");
  CHECK(token_of(content_coding::gzip) == "gzip");
  CHECK(token_of(content_coding::br) == "br");
  CHECK(token_of(content_coding::zstd) == "zstd");
  for (auto c :
       {content_coding::identity, content_coding::gzip, content_coding::br, content_coding::zstd})
    CHECK(coding_named(token_of(c)) == c);
  CHECK(coding_named("GZip") == content_coding::gzip);
  CHECK(coding_named("x-gzip") == content_coding::gzip);
  CHECK(coding_named("X-GZIP") == content_coding::gzip);
  CHECK(coding_named("BR") == content_coding::br);
  CHECK(coding_named("Zstd") == content_coding::zstd);
  CHECK(coding_named("IDENTITY") == content_coding::identity);
  CHECK_FALSE(coding_named("*"));
  CHECK_FALSE(coding_named("deflate"));
  CHECK_FALSE(coding_named("compress"));
  CHECK_FALSE(coding_named(""));
  CHECK_FALSE(coding_named("gzip "));
  CHECK_FALSE(coding_named("brotli"));
}

SCENARIO("a body written in parts decodes to exactly what was written", "[content_encoder]") {
  auto coding = any_coding();
  CAPTURE(token_of(coding));
  GIVEN("an encoder and a few hundred KiB of text and random bytes, in parts") {
    auto encoder = content_encoder::make(coding, {}, nullptr);
    REQUIRE(encoder);
    auto parts = mixed_parts(300 * 1024, 1);
    WHEN("they go in several encode calls, then the stream is finished") {
      std::string compressed;
      std::size_t i = 0;
      for (std::size_t take = 1; i < parts.size(); take = take % 5 + 1) {
        std::size_t n = std::min(take, parts.size() - i);
        REQUIRE(encoder->encode(parts.data() + i, n, false, compressed));
        i += n;
      }
      REQUIRE(encoder->encode(nullptr, 0, true, compressed));
      THEN("the reference decoder gives back every byte, and sees the end of the stream") {
        incremental_decoder decoder(coding);
        REQUIRE(decoder.feed(compressed));
        CHECK(decoder.ended());
        CHECK(decoder.decoded() == joined(parts, 0, parts.size()));
        CHECK(compressed.size() < joined(parts, 0, parts.size()).size());
      }
    }
  }
}

SCENARIO("after every flush, the bytes sent so far decode to everything written so far",
         "[content_encoder]") {
  auto coding = any_coding();
  CAPTURE(token_of(coding));
  GIVEN("an encoder and a client's incremental decoder") {
    auto encoder = content_encoder::make(coding, {}, nullptr);
    REQUIRE(encoder);
    incremental_decoder decoder(coding);
    auto parts = mixed_parts(128 * 1024, 2);
    WHEN("each write is flushed and its output handed to the decoder") {
      std::size_t i = 0;
      for (std::size_t take = 1; i < parts.size(); take = take % 3 + 1) {
        std::size_t n = std::min(take, parts.size() - i);
        std::string out;
        REQUIRE(encoder->encode(parts.data() + i, n, false, out));
        i += n;
        REQUIRE(decoder.feed(out));
        // Nothing written may sit in the compressor: a client would wait for it.
        REQUIRE(decoder.decoded() == joined(parts, 0, i));
        REQUIRE_FALSE(decoder.ended());
      }
      THEN("finishing adds no data and ends the stream") {
        std::string out;
        REQUIRE(encoder->encode(nullptr, 0, true, out));
        REQUIRE(decoder.feed(out));
        CHECK(decoder.ended());
        CHECK(decoder.decoded() == joined(parts, 0, parts.size()));
      }
    }
  }
}

SCENARIO("an empty flush is legal, and nothing may follow the end", "[content_encoder]") {
  auto coding = any_coding();
  CAPTURE(token_of(coding));
  GIVEN("an encoder") {
    auto encoder = content_encoder::make(coding, {}, nullptr);
    REQUIRE(encoder);
    incremental_decoder decoder(coding);
    std::string out;
    WHEN("it flushes with nothing written, twice, then with an empty part") {
      REQUIRE(encoder->encode(nullptr, 0, false, out));
      REQUIRE(encoder->encode(nullptr, 0, false, out));
      std::string empty;
      REQUIRE(encoder->encode(&empty, 1, false, out));
      THEN("what it produced (a few bytes, or none) decodes to nothing") {
        REQUIRE(decoder.feed(out));
        CHECK(decoder.decoded().empty());
      }
    }
    WHEN("the stream is finished") {
      std::string hello = "hello";
      REQUIRE(encoder->encode(&hello, 1, true, out));
      THEN("another encode fails and adds nothing") {
        auto size = out.size();
        CHECK_FALSE(encoder->encode(&hello, 1, false, out));
        CHECK_FALSE(encoder->encode(nullptr, 0, true, out));
        CHECK(out.size() == size);
        REQUIRE(decoder.feed(out));
        CHECK(decoder.decoded() == "hello");
        CHECK(decoder.ended());
      }
    }
  }
}

SCENARIO("an encoder's memory is counted, capped and given back", "[content_encoder]") {
  auto coding = any_coding();
  CAPTURE(token_of(coding));
  GIVEN("a budget that already holds other responses' bytes") {
    std::atomic<std::int64_t> budget{12345};
    WHEN("an encoder lives, compressing a stream") {
      encoder_settings settings;
      auto encoder = content_encoder::make(coding, settings, &budget);
      REQUIRE(encoder);
      auto parts = mixed_parts(256 * 1024, 3);
      std::string out;
      for (auto& part : parts) {
        REQUIRE(encoder->encode(&part, 1, false, out));
        REQUIRE(encoder->memory() <= settings.memory_max);
      }
      THEN("its memory is in the budget, within the cap; destroyed, the budget is as before") {
        CHECK(encoder->memory() > 0);
        CHECK(encoder->memory() <= settings.memory_max);
        CHECK(budget.load() == 12345 + static_cast<std::int64_t>(encoder->memory()));
        encoder.reset();
        CHECK(budget.load() == 12345);
      }
    }
    WHEN("the cap is 1 KiB") {
      THEN("no encoder can be made, and the budget is untouched") {
        CHECK_FALSE(content_encoder::make(coding, {0, 1024}, &budget));
        CHECK(budget.load() == 12345);
      }
    }
  }
}

SCENARIO("a 64 KiB cap still compresses, at the levels a server would use", "[content_encoder]") {
  auto coding = any_coding();
  CAPTURE(token_of(coding));
  GIVEN("an encoder capped at 64 KiB") {
    int level = coding == content_coding::gzip ? 6 : coding == content_coding::br ? 4 : 3;
    encoder_settings settings{level, 64 * 1024};
    auto encoder = content_encoder::make(coding, settings, nullptr);
    REQUIRE(encoder);
    WHEN("a stream goes through it, flushed write by write") {
      incremental_decoder decoder(coding);
      auto parts = mixed_parts(256 * 1024, 4);
      std::string out;
      for (auto& part : parts) {
        REQUIRE(encoder->encode(&part, 1, false, out));
        REQUIRE(encoder->memory() <= settings.memory_max);
      }
      REQUIRE(encoder->encode(nullptr, 0, true, out));
      THEN("it decodes back") {
        REQUIRE(decoder.feed(out));
        CHECK(decoder.decoded() == joined(parts, 0, parts.size()));
      }
    }
  }
}

SCENARIO("levels out of range are clamped, and identity has no encoder", "[content_encoder]") {
  for (int level : {-5, 0, 30}) {
    CHECK(content_encoder::make(content_coding::gzip, {level}, nullptr));
    CHECK(content_encoder::make(content_coding::br, {level}, nullptr));
    CHECK(content_encoder::make(content_coding::zstd, {level}, nullptr));
  }
  CHECK_FALSE(content_encoder::make(content_coding::identity, {}, nullptr));
}
