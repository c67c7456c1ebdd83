#include "protocol/content_encoder.hpp"

#include "protocol/counted_encoder.hpp"

#include <algorithm>

namespace fastactor {

std::unique_ptr<content_encoder> content_encoder::make(content_coding coding,
                                                       encoder_settings settings,
                                                       std::atomic<std::int64_t>* budget) {
  // Levels outside a coding's range are clamped into it (see encoder_settings::level).
  switch (coding) {
    case content_coding::gzip:
      return make_gzip_encoder(std::clamp(settings.level, 1, 9), settings.memory_max, budget);
    case content_coding::br:
      return make_brotli_encoder(std::clamp(settings.level, 0, 11), settings.memory_max, budget);
    case content_coding::zstd:
      return make_zstd_encoder(std::clamp(settings.level, 1, 19), settings.memory_max, budget);
    case content_coding::identity: break;
  }
  return nullptr;
}

}  // namespace fastactor
