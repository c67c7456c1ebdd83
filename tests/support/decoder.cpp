#include "support/decoder.hpp"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <stdexcept>

namespace testing {

struct body_decoder::impl {
  virtual ~impl() = default;
  virtual std::string feed(std::string_view bytes) = 0;
  bool finished = false;
  bool failed = false;
};

namespace {

struct gzip_decoder : body_decoder::impl {
  gzip_decoder() {
    if (inflateInit2(&z, 15 + 16) != Z_OK)  // 15 + 16: a gzip wrapper
      throw std::runtime_error("inflateInit2 failed");
  }
  ~gzip_decoder() override { inflateEnd(&z); }

  std::string feed(std::string_view bytes) override {
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    char buf[16384];
    while (!failed && !finished) {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof(buf);
      auto rc = inflate(&z, Z_SYNC_FLUSH);
      out.append(buf, sizeof(buf) - z.avail_out);
      if (rc == Z_STREAM_END)
        finished = true;
      else if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0))
        break;  // needs more input
      else if (rc != Z_OK)
        failed = true;
    }
    return out;
  }

  z_stream z{};
};

struct br_decoder : body_decoder::impl {
  br_decoder() : s(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~br_decoder() override { BrotliDecoderDestroyInstance(s); }

  std::string feed(std::string_view bytes) override {
    std::string out;
    auto* next_in = reinterpret_cast<const uint8_t*>(bytes.data());
    std::size_t avail_in = bytes.size();
    while (!failed && !finished) {
      uint8_t buf[16384];
      uint8_t* next_out = buf;
      std::size_t avail_out = sizeof(buf);
      auto rc =
        BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      out.append(reinterpret_cast<char*>(buf), sizeof(buf) - avail_out);
      if (rc == BROTLI_DECODER_RESULT_SUCCESS)
        finished = true;
      else if (rc == BROTLI_DECODER_RESULT_ERROR)
        failed = true;
      else if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
        break;
    }
    return out;
  }

  BrotliDecoderState* s;
};

struct zstd_decoder : body_decoder::impl {
  zstd_decoder() : d(ZSTD_createDStream()) {}
  ~zstd_decoder() override { ZSTD_freeDStream(d); }

  std::string feed(std::string_view bytes) override {
    std::string out;
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    while (!failed) {
      char buf[16384];
      ZSTD_outBuffer o{buf, sizeof(buf), 0};
      auto rc = ZSTD_decompressStream(d, &o, &in);
      out.append(buf, o.pos);
      if (ZSTD_isError(rc)) {
        failed = true;
      } else if (rc == 0) {
        finished = true;  // a frame ended (a server sends one)
        if (in.pos == in.size)
          break;
      } else if (in.pos == in.size && o.pos < o.size) {
        break;  // everything fed was decoded; more input is needed
      }
    }
    return out;
  }

  ZSTD_DStream* d;
};

}  // namespace

body_decoder::body_decoder(const std::string& coding) {
  if (coding == "gzip")
    impl_ = std::make_unique<gzip_decoder>();
  else if (coding == "br")
    impl_ = std::make_unique<br_decoder>();
  else if (coding == "zstd")
    impl_ = std::make_unique<zstd_decoder>();
  else
    throw std::invalid_argument("no decoder for '" + coding + "'");
}

body_decoder::~body_decoder() = default;

std::string body_decoder::feed(std::string_view bytes) {
  return impl_->feed(bytes);
}

bool body_decoder::finished() const {
  return impl_->finished;
}

bool body_decoder::failed() const {
  return impl_->failed;
}

std::string decode_body(const std::string& coding, std::string_view body) {
  body_decoder d{coding};
  auto out = d.feed(body);
  if (d.failed())
    throw std::runtime_error(coding + " body is corrupt");
  if (!d.finished())
    throw std::runtime_error(coding + " body is incomplete");
  return out;
}

}  // namespace testing
