#pragma once
// request_reader: what the server decides about a request from its bytes alone — no socket.
// The session uses it between Beast's parser and the writer; the fuzzer (fuzz/) drives it
// directly, so everything a hostile client controls is checked here in one place.

#include "server/header_arena.hpp"
#include <fastactor/config.hpp>
#include <fastactor/handler.hpp>
#include <fastactor/router.hpp>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fastactor {

/// A request as Beast parses it. Its fields are allocated from the request's header_arena
/// when it is read from a connection; built anywhere else, from the heap.
using beast_fields = boost::beast::http::basic_fields<header_allocator<char>>;
using beast_request = boost::beast::http::request<boost::beast::http::string_body, beast_fields>;

/// How much a pipelining client may send ahead while a response is produced. Past it the
/// session stops reading until the response is done.
inline constexpr std::size_t pipeline_limit = 64 * 1024;

/// How much one read takes while a response is produced or between requests.
inline constexpr std::size_t read_size = 4096;

/// The most a connection's read buffer ever holds: what a pipelining client sent ahead, plus
/// the unparsed rest of one header, chunk-size line or trailer section. A line that does not
/// fit is refused (400): without this bound Beast would buffer a chunk-size line or a trailer
/// until its CRLF, however long.
inline std::size_t read_buffer_max(const server_config& cfg) {
  return pipeline_limit + cfg.max_header_bytes + read_size;
}

/// A request the server refuses before any handler sees it.
struct request_refusal {
  fastactor::status status;
  std::string message;
};

/// Bounds the framing a chunked body may carry beside its data (chunk-size lines, chunk
/// extensions), as Go does since CVE-2023-39326: each chunk may cost its line plus 16 bytes
/// and twice its size in overhead; past `overhead_max` bytes of excess the body is refused.
/// Without it a client could send 1-byte chunks with 60 KiB extensions: the body limit
/// counts only data. (Leading zeros of a chunk size are not seen here; the body deadline
/// bounds those.) Beast keeps a reference to it: it must outlive the parser's reads.
class chunk_framing_budget {
public:
  static constexpr std::size_t overhead_max = 16 * 1024;

  void operator()(std::uint64_t size, boost::beast::string_view extensions,
                  boost::beast::error_code& ec);
  bool exceeded() const { return exceeded_; }

private:
  std::uint64_t excess_ = 0;
  bool exceeded_ = false;
};

/// Which fields of a parsed message are its header, the rest being the trailer of its chunked
/// body. Beast adds trailer fields to the same container and keeps same-named fields
/// together, so order cannot tell; a field's address can (list nodes do not move).
class header_fields {
public:
  /// Every field of `msg` now, i.e. before the body is read.
  explicit header_fields(const beast_request& msg);
  header_fields() = default;  ///< no trailer: every field is a header field
  bool contains(const void* field) const;

private:
  std::vector<const void*> fields_;  ///< sorted
  bool all_ = true;
};

/// One request being read: Beast's parser with the server's limits, and what the checks
/// need to remember from its header until its body ends.
class incoming_request {
public:
  using parser_type =
    boost::beast::http::request_parser<boost::beast::http::string_body, header_allocator<char>>;

  explicit incoming_request(const server_config& cfg);
  incoming_request(const incoming_request&) = delete;
  incoming_request& operator=(const incoming_request&) = delete;

  parser_type& parser() { return *parser_; }
  const beast_request& get() const { return parser_->get(); }

  /// Makes it read the next request: a new parser in place (Beast's cannot be reset), the
  /// last request's fields freed. A pipelining client's requests reuse one block.
  void restart();

  /// Call once the header is in: checks it (check_header, and its size: see
  /// header_size) and remembers which fields are the header's, so that the fields parsed
  /// later are known as the body's trailer. A refusal ends the request.
  std::optional<request_refusal> header_done();
  /// What a parse error means for the client (see refusal_for), naming a framing overhead
  /// that passed its budget.
  std::optional<request_refusal> refusal(boost::beast::error_code ec) const;
  /// The request, once the body is in: routed, or a 400 for a trailer it may not carry.
  /// The second member is true when the request was refused (the connection then closes).
  std::pair<std::shared_ptr<routed_request>, bool> finish(const router& routes);

private:
  const server_config& cfg_;
  header_arena arena_;  ///< before parser_: the parser's fields live in it
  std::optional<parser_type> parser_;
  chunk_framing_budget framing_;
  header_fields header_;
};

/// Checks a parsed header before its body is read: framing that the server does not support
/// (a transfer-coding other than chunked: 501; chunked not last: 400) or an Expect it cannot
/// meet (417). Beast itself already refuses Content-Length with Transfer-Encoding, differing
/// Content-Lengths and bad chunk sizes.
std::optional<request_refusal> check_header(const beast_request& header);

/// The size of a parsed header block as it was sent, give or take optional whitespace.
/// Beast 1.81 checks its header limit per read, not per header: a header that arrives whole
/// in one read passes it (measured: 10,860 bytes accepted under a limit of 8,192), so the
/// session checks the parsed header again with this.
std::size_t header_size(const beast_request& header);

/// True when the client waits for `100 Continue` before it sends the body.
bool wants_100_continue(const beast_request& header);

/// What a parse error means for the client (400, 413, 431) — or nothing if the client simply
/// went away (EOF, reset, partial message), which needs no answer.
std::optional<request_refusal> refusal_for(boost::beast::error_code ec, const server_config& cfg);

/// Refuses a trailer field (one not in `header`) that would change how the request is
/// framed, routed or authenticated if anything merged it into the header (RFC 9110 6.5.1).
std::optional<request_refusal> check_trailers(const beast_request& msg,
                                              const header_fields& header);

/// The parsed request, target decoded (origin-form or absolute-form, via Boost.URL) and
/// routed; a target that cannot be parsed routes to a 400. Fields not in `header` are the
/// trailer and go to `request::trailers`.
std::shared_ptr<routed_request> route_request(beast_request& msg, const router& routes,
                                              const header_fields& header = {});

/// True for an origin-form target that is a path of unreserved characters and slashes only
/// (no query, no percent-encoding: "/stream/sse"): it is its own decoded path, and is routed
/// without a URL parser.
bool is_plain_path(std::string_view target);

/// A request answered with an error report only, after which the connection closes.
std::shared_ptr<routed_request> refused_request(const request_refusal& why);

}  // namespace fastactor
