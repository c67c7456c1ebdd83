// gzip (RFC 1952): zlib's deflate with the gzip wrapper, flushed with Z_SYNC_FLUSH.
#include "protocol/coding_parameters.hpp"
#include "protocol/counted_encoder.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace fastactor {

namespace {

class gzip_encoder final : public counted_encoder {
public:
  gzip_encoder(std::size_t memory_max, std::atomic<std::int64_t>* budget)
    : counted_encoder(memory_max, budget) {}
  ~gzip_encoder() override {
    if (initialized_)
      deflateEnd(&stream_);
  }

  // zlib allocates all its state here: deflate() itself never allocates.
  bool init(int level, const gzip_parameters& p) {
    stream_.zalloc = [](voidpf self, uInt items, uInt size) -> voidpf {
      if (size != 0 && items > UINT_MAX / size)
        return Z_NULL;
      return allocate_for(self, std::size_t{items} * size);
    };
    stream_.zfree = [](voidpf self, voidpf block) { release_for(self, block); };
    stream_.opaque = this;
    initialized_ =
      deflateInit2(&stream_, level, Z_DEFLATED, p.window_bits + 16, p.mem_level, Z_DEFAULT_STRATEGY)
      == Z_OK;
    return initialized_;
  }

  bool encode(const std::string* parts, std::size_t count, bool finish, std::string& out) override {
    if (done_)
      return false;
    bool ok = true;
    for (std::size_t i = 0; ok && i < count; ++i)
      ok = feed(parts[i], out);
    ok = ok && drain(finish ? Z_FINISH : Z_SYNC_FLUSH, out);
    done_ = finish || !ok;
    return ok;
  }

private:
  // One deflate() call with `room` bytes of `out` to write into; false on a zlib error.
  // Z_BUF_ERROR only says no progress was possible (e.g. a second flush with nothing new).
  int step(int flush, std::size_t room, std::string& out) {
    std::size_t used = out.size();
    stream_.next_out = reinterpret_cast<Bytef*>(open_room(out, room));
    stream_.avail_out = static_cast<uInt>(room);
    int rc = deflate(&stream_, flush);
    out.resize(used + room - stream_.avail_out);
    return rc;
  }

  bool feed(const std::string& part, std::string& out) {
    const auto* next = reinterpret_cast<const Bytef*>(part.data());
    std::size_t left = part.size();
    std::size_t room = std::max<std::size_t>(1024, std::min<std::size_t>(left / 2, 1 << 20));
    while (left > 0) {
      // avail_in is 32 bits: a larger part goes in slices.
      auto slice = static_cast<uInt>(std::min<std::size_t>(left, UINT_MAX));
      stream_.next_in = const_cast<Bytef*>(next);  // zlib's API predates const
      stream_.avail_in = slice;
      int rc = step(Z_NO_FLUSH, room, out);
      if (rc != Z_OK)  // with input and room, anything else is an error
        return false;
      std::size_t taken = slice - stream_.avail_in;
      next += taken;
      left -= taken;
      room = std::min<std::size_t>(room * 2, 1 << 24);
    }
    return true;
  }

  // Flushes (or finishes) until deflate leaves output space unused: everything is out.
  bool drain(int flush, std::string& out) {
    stream_.next_in = Z_NULL;
    stream_.avail_in = 0;
    std::size_t room = 1024;
    for (;;) {
      int rc = step(flush, room, out);
      if (rc == Z_STREAM_END)
        return true;
      if (rc != Z_OK && rc != Z_BUF_ERROR)
        return false;
      // Space left over: all is out. (Z_FINISH only stops short for want of space.)
      if (stream_.avail_out != 0)
        return flush != Z_FINISH;
      room = std::min<std::size_t>(room * 2, 1 << 24);
    }
  }

  z_stream stream_{};
  bool initialized_ = false;
  bool done_ = false;  ///< finished, or failed
};

}  // namespace

std::unique_ptr<content_encoder> make_gzip_encoder(int level, std::size_t memory_max,
                                                   std::atomic<std::int64_t>* budget) {
  auto p = gzip_parameters_for(memory_max);
  if (!p)
    return nullptr;
  auto encoder = std::make_unique<gzip_encoder>(memory_max, budget);
  if (!encoder->init(level, *p))
    return nullptr;
  return encoder;
}

}  // namespace fastactor
