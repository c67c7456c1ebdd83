#pragma once
// content_encoder: one response body's compressor (gzip, Brotli or zstd), driven by the
// response writer one gathered write at a time. Every call ends with a flush (or the end of
// the stream), so whatever the client has received decodes to everything written so far: an
// SSE event or NDJSON line is never held back inside the compressor.
//
// Its memory is the library's own, allocated through our allocator: counted (into the
// server's budget of held response bytes, as queued output is) and capped per response.

#include "protocol/content_coding.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace fastactor {

/// How one encoder is made.
struct encoder_settings {
  /// The coding's level: gzip 1-9, br 0-11, zstd 1-19. make() clamps a level outside its
  /// coding's range into it (so 0 is gzip 1, br 0, zstd 1). Brotli may also be given a lower
  /// quality than asked when the asked one cannot fit in memory_max.
  int level = 0;
  /// The most bytes the compressor may allocate. Its window (and hash tables) are chosen to
  /// fit; an allocation past it fails, and so does the encoder.
  std::size_t memory_max = 256 * 1024;
};

class content_encoder {
public:
  /// An encoder for `coding` (not identity). Its allocations are added to `*budget` while
  /// they live (nullptr: not counted). Null if it cannot be made within
  /// settings.memory_max (or the library refuses).
  static std::unique_ptr<content_encoder> make(content_coding coding, encoder_settings settings,
                                               std::atomic<std::int64_t>* budget);

  virtual ~content_encoder() = default;
  content_encoder(const content_encoder&) = delete;
  content_encoder& operator=(const content_encoder&) = delete;

  /// Compresses `count` strings from `parts` in order, then flushes (`finish` false) or ends
  /// the compressed stream (`finish` true: nothing may follow). Appends the output to `out`.
  /// False if the compressor failed (its memory cap); the encoder is then unusable.
  virtual bool encode(const std::string* parts, std::size_t count, bool finish,
                      std::string& out) = 0;

  /// Bytes the compressor holds now.
  std::size_t memory() const { return allocated_; }

protected:
  content_encoder() = default;
  std::size_t allocated_ = 0;  ///< kept by the allocator of each implementation
};

}  // namespace fastactor
