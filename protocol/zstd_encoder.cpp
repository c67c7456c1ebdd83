// Zstandard (RFC 8878): a streaming context flushed with ZSTD_e_flush.
#include "protocol/coding_parameters.hpp"
#include "protocol/counted_encoder.hpp"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_createCCtx_advanced, ZSTD_customMem
#include <zstd.h>

#include <algorithm>

namespace fastactor {

namespace {

class zstd_encoder final : public counted_encoder {
public:
  zstd_encoder(std::size_t memory_max, std::atomic<std::int64_t>* budget)
    : counted_encoder(memory_max, budget) {}
  ~zstd_encoder() override { ZSTD_freeCCtx(context_); }

  bool init(int level, const zstd_parameters& p) {
    context_ = ZSTD_createCCtx_advanced(ZSTD_customMem{allocate_for, release_for, this});
    if (!context_)
      return false;
    // The level first: the explicit logs then override its own.
    if (!set(ZSTD_c_compressionLevel, level) || !set(ZSTD_c_windowLog, p.window_log)
        || !set(ZSTD_c_chainLog, p.chain_log) || !set(ZSTD_c_hashLog, p.hash_log))
      return false;
    // zstd allocates its workspace on the first call: making it now puts a refusal here, in
    // make(), rather than in the middle of a response, and memory() tells the truth at once.
    ZSTD_inBuffer in{nullptr, 0, 0};
    char none[1];
    ZSTD_outBuffer nowhere{none, 0, 0};
    return !ZSTD_isError(ZSTD_compressStream2(context_, &nowhere, &in, ZSTD_e_continue));
  }

  bool encode(const std::string* parts, std::size_t count, bool finish, std::string& out) override {
    if (done_)
      return false;
    bool ok = true;
    for (std::size_t i = 0; ok && i < count; ++i)
      ok = run(parts[i], ZSTD_e_continue, out);
    ok = ok && run({}, finish ? ZSTD_e_end : ZSTD_e_flush, out);
    done_ = finish || !ok;
    return ok;
  }

private:
  bool set(ZSTD_cParameter parameter, int value) {
    return !ZSTD_isError(ZSTD_CCtx_setParameter(context_, parameter, value));
  }

  // Until `part` is all taken and, when flushing or ending, zstd has nothing left to emit
  // (ZSTD_compressStream2 returns 0).
  bool run(const std::string& part, ZSTD_EndDirective directive, std::string& out) {
    ZSTD_inBuffer in{part.data(), part.size(), 0};
    std::size_t room = std::max<std::size_t>(1024, std::min<std::size_t>(part.size() / 2, 1 << 20));
    for (;;) {
      std::size_t used = out.size();
      ZSTD_outBuffer o{open_room(out, room), room, 0};
      std::size_t left = ZSTD_compressStream2(context_, &o, &in, directive);
      out.resize(used + o.pos);
      if (ZSTD_isError(left))
        return false;
      bool done = directive == ZSTD_e_continue ? in.pos == in.size : left == 0;
      if (done)
        return true;
      if (o.pos == room)
        room = std::min<std::size_t>(room * 2, 1 << 24);
    }
  }

  ZSTD_CCtx* context_ = nullptr;
  bool done_ = false;  ///< ended, or failed
};

}  // namespace

std::unique_ptr<content_encoder> make_zstd_encoder(int level, std::size_t memory_max,
                                                   std::atomic<std::int64_t>* budget) {
  auto p = zstd_parameters_for(level, memory_max);
  if (!p)
    return nullptr;
  auto encoder = std::make_unique<zstd_encoder>(memory_max, budget);
  if (!encoder->init(level, *p))
    return nullptr;
  return encoder;
}

}  // namespace fastactor
