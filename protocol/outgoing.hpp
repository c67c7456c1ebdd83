#pragma once
// outgoing: one write of a response, before a codec frames it. The response writer decides
// what is sent and when; the connection's codec decides how it looks on the wire (HTTP/1.1:
// a status line, fields and chunked coding, protocol/http1_framer.hpp; HTTP/2: HEADERS and
// DATA frames).

#include "protocol/response_head.hpp"
#include <fastactor/request.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace fastactor {

struct outgoing {
  /// The response head, with a response's first write (and only then). Its views point into
  /// the writer's request scope: a codec uses them before the write call returns.
  std::optional<response_head> head;
  std::vector<std::string> body;  ///< body bytes, unframed (already coded if the body is)
  std::size_t body_bytes = 0;  ///< the sum of their sizes
  /// The body ends with this write (a streamed response's last write): a chunked HTTP/1.1
  /// body gets its last chunk with `trailers`, an HTTP/2 stream its trailers (if any) and
  /// END_STREAM. Not set for a head-only answer (HEAD, 304) or a body framed by its length.
  bool ends_body = false;
  name_value_list trailers;  ///< with ends_body
};

}  // namespace fastactor
