#pragma once
// Content negotiation for compression (RFC 9110 12.5.3): which coding a response gets, from
// the client's Accept-Encoding and the server's preference. Whatever a client sends — q=2,
// empty members, ten thousand tokens — the answer is a coding (identity at worst), never an
// error: the field only ever widens what the server may send.

#include "protocol/content_coding.hpp"
#include <fastactor/request.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fastactor {

/// The server's codings, best first (from --compress-prefer).
using coding_preference = std::vector<content_coding>;

/// Parses --compress-prefer ("zstd,br,gzip"): codings among gzip, br and zstd, each at most
/// once, at least one. On a problem, `error` says what it is and the result is empty.
coding_preference parse_coding_preference(std::string_view text, std::string& error);

/// The coding for a response to a request with these header fields (every Accept-Encoding
/// field counts, as if joined by commas): of the codings in `prefer` the client accepts
/// (q > 0, named or through `*`), the one with the highest q, ties going by `prefer`'s
/// order; identity if the client accepts none, or names identity with a higher q, or sent
/// no Accept-Encoding (most tools that do not ask for compression cannot undo it). A member
/// that does not parse (a q outside 0-1, a stray `;`) is ignored.
content_coding negotiate_coding(const name_value_list& request_headers,
                                const coding_preference& prefer);

}  // namespace fastactor
