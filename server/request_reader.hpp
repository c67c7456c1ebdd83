#pragma once
// request_reader: what the server decides about a request from its bytes alone — no socket.
// The session uses it between the parser (request_parser.hpp) and the writer; the fuzzer (fuzz/)
// drives it directly, so everything a hostile client controls is checked here in one place.

#include "server/request_parser.hpp"
#include <fastactor/config.hpp>
#include <fastactor/handler.hpp>
#include <fastactor/router.hpp>

#include <boost/assert.hpp>
#include <boost/beast/core/error.hpp>

#include <memory>
#include <optional>
#include <string>

namespace fastactor {

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

/// One request being read: the parser with the server's limits, and the checks between its
/// header and its end.
class incoming_request {
public:
  using parser_type = request_parser;

  /// Keeps a reference to `cfg`. `reuse_from`: see request_parser (it must outlive this).
  explicit incoming_request(const server_config& cfg,
                            std::shared_ptr<routed_request>* reuse_from = nullptr);
  explicit incoming_request(server_config&&) = delete;
  incoming_request(const incoming_request&) = delete;
  incoming_request& operator=(const incoming_request&) = delete;

  parser_type& parser() { return *parser_; }
  /// The request as parsed so far; only once its header is done.
  const request& get() const {
    BOOST_ASSERT(parser_->is_header_done());
    return *parser_->get();
  }

  /// Makes it read the next request: a new parser in place (Beast's cannot be reset). A
  /// pipelining client's requests reuse one block.
  void restart();

  /// Call once the header is in: checks it (check_header, and its size: see header_size).
  /// A refusal ends the request.
  std::optional<request_refusal> header_done();
  /// What a parse error means for the client (see refusal_for), naming a framing overhead
  /// that passed its budget.
  std::optional<request_refusal> refusal(boost::beast::error_code ec) const;
  /// The request, once the body is in: routed, or a 400 for a trailer it may not carry.
  /// The second member is true when the request was refused (the connection then closes).
  std::pair<std::shared_ptr<routed_request>, bool> finish(const router& routes);

private:
  const server_config& cfg_;
  std::shared_ptr<routed_request>* reuse_from_;
  std::optional<parser_type> parser_;
};

/// Checks a parsed header before its body is read: a CR or LF inside a value (400), a Host missing
/// or repeated in HTTP/1.1 (400), framing that the server does not support (a transfer-coding other
/// than chunked: 501; chunked not last: 400) or an Expect it cannot meet (417). Beast itself
/// already refuses Content-Length with Transfer-Encoding, differing Content-Lengths and bad chunk
/// sizes.
std::optional<request_refusal> check_header(const request& header);

/// The size of a parsed header block as it was sent, give or take optional whitespace.
/// Beast 1.81 checks its header limit per read, not per header: a header that arrives whole
/// in one read passes it (measured: 10,860 bytes accepted under a limit of 8,192), so the
/// session checks the parsed header again with this.
std::size_t header_size(const request& header);

/// True when the client waits for `100 Continue` before it sends the body.
bool wants_100_continue(const request& header);

/// What a parse error means for the client (400, 413, 431) — or nothing if the client simply
/// went away (EOF, reset, partial message), which needs no answer.
std::optional<request_refusal> refusal_for(boost::beast::error_code ec, const server_config& cfg);

/// Refuses a trailer field that would change how the request is framed, routed or
/// authenticated if anything merged it into the header (RFC 9110 6.5.1).
std::optional<request_refusal> check_trailers(const request& req);

/// Routes a parsed request (method, target and version set): its target decoded into `path`
/// and `query` (origin-form or absolute-form, via Boost.URL), its route's handler and path
/// parameters set. A target that cannot be parsed routes to a 400. HTTP/1 and HTTP/2 share it.
void route(routed_request& in, const router& routes);

/// True for an origin-form target that is a path of unreserved characters and slashes only
/// (no query, no percent-encoding: "/stream/sse"): it is its own decoded path, and is routed
/// without a URL parser.
bool is_plain_path(std::string_view target);

/// A request answered with an error report only, after which the connection closes.
std::shared_ptr<routed_request> refused_request(const request_refusal& why);

}  // namespace fastactor
