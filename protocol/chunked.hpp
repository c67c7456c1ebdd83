#pragma once
// HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1). The writer gathers every chunk
// queued since its last write into one HTTP chunk: chunk boundaries carry no meaning in
// HTTP, and one size line per write keeps a burst of small chunks to one syscall.

#include <cstddef>
#include <string>

namespace fastactor::chunked {

/// The size line that opens a chunk of `size` bytes: hex digits and CRLF.
std::string size_line(std::size_t size);

/// Closes a chunk's data.
inline constexpr const char* crlf = "\r\n";

/// The last chunk with optional trailer fields; `trailers` is a block of
/// "Name: value\r\n" lines (or empty).
std::string last_chunk(const std::string& trailers);

}  // namespace fastactor::chunked
