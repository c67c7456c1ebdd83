#include "protocol/coding_parameters.hpp"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getCParams, ZSTD_estimateCStreamSize_usingCParams
#include <zstd.h>

#include <iterator>

namespace fastactor {

namespace {

// A margin of 1/8 over what the library is expected to take: estimates leave out details
// (our 16-byte size headers, a library built differently).
bool fits(std::size_t expected, std::size_t memory_max) {
  return expected + expected / 8 <= memory_max;
}

// zlib's documented deflate memory, (1 << (windowBits + 2)) + (1 << (memLevel + 9)), plus its
// deflate_state: 5,952 bytes in zlib 1.2.13 on x86-64 (and 5 blocks of our 16-byte header).
std::size_t gzip_memory(int window_bits, int mem_level) {
  return (std::size_t{1} << (window_bits + 2)) + (std::size_t{1} << (mem_level + 9)) + 8 * 1024;
}

}  // namespace

std::optional<gzip_parameters> gzip_parameters_for(std::size_t memory_max) {
  // From zlib's defaults (a 32 KiB window, memLevel 8), memLevel goes first while it is above
  // windowBits - 8 (a smaller hash and literal buffer cost less ratio than a smaller window),
  // then the two take turns.
  int window_bits = 15, mem_level = 8;
  while (!fits(gzip_memory(window_bits, mem_level), memory_max)) {
    if (mem_level > window_bits - 8 && mem_level > 1)
      --mem_level;
    else if (window_bits > 9)
      --window_bits;
    else
      return std::nullopt;
  }
  return gzip_parameters{window_bits, mem_level, gzip_memory(window_bits, mem_level)};
}

namespace {

// zstd allocates its context and, on the first call, one workspace; the estimate is exact for
// both (checked against our counting allocator with zstd 1.5.4).
std::size_t zstd_memory(const ZSTD_compressionParameters& p) {
  return ZSTD_estimateCStreamSize_usingCParams(p) + 2 * 16;
}

// The table that costs the most bytes shrinks first: the window costs about 2^(windowLog+2)
// (the window itself plus a block of input and of output buffers), the hash and chain tables
// 2^(log+2) each; the fast strategy has no chain table. On a tie the tables shrink before
// the window: on NDJSON in flushed 16 KiB writes at level 3, windowLog 14 with 13-bit tables
// compresses 5.79x, windowLog 13 with 14-bit tables 5.52x, in about the same memory.
void shrink_largest(ZSTD_compressionParameters& p) {
  unsigned window = p.windowLog > ZSTD_WINDOWLOG_MIN ? p.windowLog : 0;
  unsigned hash = p.hashLog > ZSTD_HASHLOG_MIN ? p.hashLog : 0;
  unsigned chain = p.strategy != ZSTD_fast && p.chainLog > ZSTD_CHAINLOG_MIN ? p.chainLog : 0;
  if (window && window > hash && window > chain)
    --p.windowLog;
  else if (hash && hash >= chain)
    --p.hashLog;
  else
    --p.chainLog;
}

bool at_minimum(const ZSTD_compressionParameters& p) {
  return p.windowLog <= ZSTD_WINDOWLOG_MIN && p.hashLog <= ZSTD_HASHLOG_MIN
    && (p.strategy == ZSTD_fast || p.chainLog <= ZSTD_CHAINLOG_MIN);
}

}  // namespace

std::optional<zstd_parameters> zstd_parameters_for(int level, std::size_t memory_max) {
  // The level's parameters for an unknown size (what ZSTD_c_compressionLevel would use).
  ZSTD_compressionParameters p = ZSTD_getCParams(level, 0, 0);
  while (!fits(zstd_memory(p), memory_max)) {
    if (at_minimum(p))
      return std::nullopt;
    shrink_largest(p);
  }
  return zstd_parameters{static_cast<int>(p.windowLog), static_cast<int>(p.chainLog),
                         static_cast<int>(p.hashLog), zstd_memory(p)};
}

namespace {

// Brotli 1.0.9 has no memory estimator (BrotliEncoderEstimatePeakMemoryUsage came in 1.1),
// so these are peaks measured with a counting allocator like ours (`compression_levels
// --brotli-peaks`, bench/compression_levels.cpp, libbrotli 1.0.9 on x86-64): the most bytes
// held at once while compressing 2 MiB of NDJSON, SSE and 1/8 random bytes (384 KiB at
// qualities 10-11) in flushed writes of 1 KiB, 16 KiB, 256 KiB, and in one write of it all,
// the output buffer as brotli_encoder gives it. In KiB, per quality (rows) and lgwin
// (columns), each entry raised to at least its left neighbour's.
// What sets them: qualities 0 and 1 compress each input on its own (no ring buffer, no
// history across writes) with tables sized by the input, up to 2^lgwin; from quality 2 on
// a hasher of 0.5 MiB (qualities 2-3) to 2 MiB and more, plus the window. A single large
// write makes quality 4 pick its 4 MiB hasher.
constexpr int brotli_lgwins[] = {10, 12, 14, 15, 16, 17, 18, 20, 22};
constexpr std::size_t brotli_peak_kib[12][std::size(brotli_lgwins)] = {
  {21, 51, 171, 203, 267, 395, 651, 2187, 2187},  // 0
  {18, 55, 187, 363, 715, 1419, 1675, 3211, 3211},  // 1
  {545, 545, 545, 609, 705, 833, 1089, 2625, 8769},  // 2
  {547, 547, 547, 611, 707, 835, 1091, 2627, 8771},  // 3
  {5306, 5306, 5306, 5306, 5306, 5614, 6065, 9110, 19073},  // 4
  {2102, 2102, 2102, 2102, 2102, 2573, 3025, 7160, 17191},  // 5
  {2102, 2102, 2102, 2102, 2102, 3598, 4044, 9188, 18919},  // 6
  {2102, 2102, 2102, 2102, 2102, 9773, 10220, 13272, 22982},  // 7
  {2102, 2102, 2102, 2102, 2102, 17965, 18412, 21459, 31161},  // 8
  {2865, 2865, 2865, 2865, 2865, 35178, 37486, 40217, 49216},  // 9
  {2896, 2920, 3016, 3144, 3400, 6280, 11528, 19208, 49928},  // 10
  {5200, 5224, 5320, 5448, 5704, 10888, 20744, 28424, 59144},  // 11
};

}  // namespace

std::optional<brotli_parameters> brotli_parameters_for(int quality, std::size_t memory_max) {
  // The widest window that fits at the quality asked for; failing any, the next quality down.
  for (int q = quality; q >= 0; --q)
    for (std::size_t i = std::size(brotli_lgwins); i-- > 0;) {
      std::size_t peak = brotli_peak_kib[q][i] * 1024;
      if (fits(peak, memory_max))
        return brotli_parameters{q, brotli_lgwins[i], peak};
    }
  return std::nullopt;
}

}  // namespace fastactor
