#pragma once
// Response compression: what a server does (--compression, config.hpp) and what a handler
// may ask of its own response (context::set_compression).
//
// With compression on, a response whose client accepts gzip, br or zstd (Accept-Encoding)
// goes out compressed in the server's preferred coding (--compress-prefer), and every write
// of a streaming response is flushed through the compressor: an SSE event or an NDJSON line
// reaches the client as soon as it would have uncompressed. Not compressed: HEAD, bodies
// smaller than --compress-min-bytes that are complete before the first byte, types that are
// compressed already (images, audio, video, archives, application/octet-stream), responses
// that set their own Content-Encoding or `Cache-Control: no-transform`, 206.
//
// BREACH: a compressed response that mixes a secret (a CSRF token, a session id) with
// text an attacker can reflect into it (a query parameter echoed back) lets the attacker
// guess the secret from the compressed length over many requests. Such a handler should call
// `ctx.set_compression(compression::off)`.

#include <cstdint>
#include <optional>
#include <string_view>

namespace fastactor {

/// The server-wide switch (--compression=on|off).
enum class compression_mode : std::uint8_t { off, on };

/// "on" or "off".
std::string_view to_string(compression_mode mode);
/// Parses "on" or "off".
std::optional<compression_mode> parse_compression_mode(std::string_view text);

/// A handler's choice for its own response (context::set_compression).
enum class compression : std::uint8_t {
  automatic,  ///< the server decides by content type and size (the default)
  off,  ///< never compress this response (secrets next to reflected input: BREACH)
  on,  ///< compress even a type that is not compressed by default (application/octet-stream
       ///< that is really text, say); the size rule and the client's choice still apply
};

}  // namespace fastactor
