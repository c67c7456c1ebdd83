#pragma once
// How each coding's window and tables are sized from an encoder's memory cap. The cap is a
// guard, not a mode of operation: the parameters are chosen so that a normal stream's
// allocations stay under it with a margin of 1/8, and a coding whose smallest parameters do
// not fit is not made at all.

#include <cstddef>
#include <optional>

namespace fastactor {

/// deflateInit2's windowBits (without the +16 of the gzip wrapper) and memLevel.
struct gzip_parameters {
  int window_bits;  ///< 9..15
  int mem_level;  ///< 1..8
  std::size_t memory;  ///< the bytes zlib allocates with them (our size headers included)
};
std::optional<gzip_parameters> gzip_parameters_for(std::size_t memory_max);

/// Zstandard's windowLog, chainLog and hashLog at `level` (1-19).
struct zstd_parameters {
  int window_log;
  int chain_log;
  int hash_log;
  std::size_t memory;  ///< ZSTD_estimateCStreamSize_usingCParams (plus our headers)
};
std::optional<zstd_parameters> zstd_parameters_for(int level, std::size_t memory_max);

/// Brotli's quality (possibly lower than asked) and lgwin.
struct brotli_parameters {
  int quality;
  int lgwin;
  std::size_t memory;  ///< the measured peak (brotli_parameters.cpp), not an estimate
};
std::optional<brotli_parameters> brotli_parameters_for(int quality, std::size_t memory_max);

}  // namespace fastactor
