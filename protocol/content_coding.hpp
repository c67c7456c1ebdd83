#pragma once
// Content codings (RFC 9110 8.4.1): the compressed forms a response body can take, by the
// token that names each in Accept-Encoding and Content-Encoding.

#include <cstdint>
#include <optional>
#include <string_view>

namespace fastactor {

enum class content_coding : std::uint8_t {
  identity,  ///< the body as the handler wrote it
  gzip,  ///< RFC 1952, zlib's deflate with a gzip wrapper
  br,  ///< Brotli, RFC 7932
  zstd,  ///< Zstandard, RFC 8878
};

/// The token of `coding`: "identity", "gzip", "br" or "zstd".
std::string_view token_of(content_coding coding);

/// The coding a token names, case-insensitively; "x-gzip" is gzip (RFC 9110 8.4.1.3).
/// Anything else (including "*") is not a coding we produce: nullopt.
std::optional<content_coding> coding_named(std::string_view token);

}  // namespace fastactor
