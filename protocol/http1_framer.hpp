#pragma once
// http1_framer: the HTTP/1.1 codec's output side. It turns a connection's outgoing writes into
// the bytes of RFC 9112: the rendered head, the body as one chunk per write when the head
// chose chunked coding, and the last chunk with the trailer fields. One per connection: it
// remembers the framing of the response under way between its writes.

#include "protocol/outgoing.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace fastactor {

class http1_framer {
public:
  /// The parts of one gathered write for `out` (whose body parts are moved, not copied).
  std::vector<std::string> frame(outgoing&& out);

  /// For a write that frame() would send as its rendered head and its body parts as they are
  /// (a response's first write whose body is not chunked) and whose head has no handler
  /// fields: the head's text, a view valid until the next head is rendered on this thread
  /// (render_cached), and the framer moves on as frame() would. Empty for any other write,
  /// which goes through frame(). What a batch of pipelined responses copies without making
  /// each head a string of its own.
  std::string_view flat_head(const outgoing& out);

private:
  bool chunked_ = false;  ///< the response under way uses chunked coding
};

/// "Name: value\r\n" for each field: a trailer section's lines.
std::string render_fields(const name_value_list& fields);

}  // namespace fastactor
