// Brotli (RFC 7932): an encoder instance flushed with BROTLI_OPERATION_FLUSH.
#include "protocol/coding_parameters.hpp"
#include "protocol/counted_encoder.hpp"

#include <brotli/encode.h>

#include <algorithm>

namespace fastactor {

namespace {

class brotli_encoder final : public counted_encoder {
public:
  brotli_encoder(std::size_t memory_max, std::atomic<std::int64_t>* budget)
    : counted_encoder(memory_max, budget) {}
  ~brotli_encoder() override {
    if (state_)
      BrotliEncoderDestroyInstance(state_);
  }

  bool init(const brotli_parameters& p) {
    // Only the instance itself may be refused: Debian's libbrotlienc 1.0.9 is built to call
    // exit() when any later allocation fails, which would end the whole server. So the cap
    // holds by the choice of quality and window (coding_parameters.cpp), and encode() checks
    // it after the fact.
    state_ = BrotliEncoderCreateInstance(allocate_for, release_for, this);
    if (!state_)
      return false;
    refuse_past_max(false);
    quality_ = p.quality;
    lgwin_ = p.lgwin;
    return BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY, p.quality)
      && BrotliEncoderSetParameter(state_, BROTLI_PARAM_LGWIN, p.lgwin);
  }

  bool encode(const std::string* parts, std::size_t count, bool finish, std::string& out) override {
    if (done_)
      return false;
    bool ok = true;
    if (count > 1 && quality_ <= 1) {
      // At qualities 0 and 1 Brotli compresses each input it is given on its own, with no
      // history, so the parts go in together (a copy, freed before we return).
      std::string all;
      for (std::size_t i = 0; i < count; ++i)
        all += parts[i];
      ok = run(all, BROTLI_OPERATION_PROCESS, out);
    } else {
      for (std::size_t i = 0; ok && i < count; ++i)
        ok = run(parts[i], BROTLI_OPERATION_PROCESS, out);
    }
    ok = ok && run({}, finish ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_FLUSH, out);
    // The cap, checked rather than enforced (see init): past it at any moment, we stop.
    ok = ok && peak_memory() <= memory_max();
    done_ = finish || !ok;
    return ok;
  }

private:
  // Until `part` is all taken and Brotli holds no output (and, finishing, has ended the
  // stream).
  bool run(const std::string& part, BrotliEncoderOperation op, std::string& out) {
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(part.data());
    std::size_t avail_in = part.size();
    std::size_t room = 1024;
    for (;;) {
      // At qualities 0 and 1, output space for twice the block (up to 2^lgwin bytes of input)
      // lets Brotli write in place instead of allocating a buffer of its own.
      std::size_t block = std::min(avail_in, std::size_t{1} << lgwin_);
      room = std::max(room, 2 * block + 1024);
      std::size_t used = out.size();
      auto* next_out = reinterpret_cast<std::uint8_t*>(open_room(out, room));
      std::size_t avail_out = room;
      bool ok = BrotliEncoderCompressStream(state_, op, &avail_in, &next_in, &avail_out, &next_out,
                                            nullptr);
      out.resize(used + room - avail_out);
      if (!ok)
        return false;
      if (avail_in == 0 && !BrotliEncoderHasMoreOutput(state_)
          && (op != BROTLI_OPERATION_FINISH || BrotliEncoderIsFinished(state_)))
        return true;
      if (avail_out == 0)
        room = std::min<std::size_t>(room * 2, 1 << 24);
    }
  }

  BrotliEncoderState* state_ = nullptr;
  int quality_ = 0;
  int lgwin_ = 22;
  bool done_ = false;  ///< finished, or failed
};

}  // namespace

std::unique_ptr<content_encoder> make_brotli_encoder(int quality, std::size_t memory_max,
                                                     std::atomic<std::int64_t>* budget) {
  auto p = brotli_parameters_for(quality, memory_max);
  if (!p)
    return nullptr;
  auto encoder = std::make_unique<brotli_encoder>(memory_max, budget);
  if (!encoder->init(*p))
    return nullptr;
  return encoder;
}

}  // namespace fastactor
