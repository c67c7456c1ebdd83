#pragma once
// request_reader: what the server decides about a request from its bytes alone — no socket.
// The session uses it between Beast's parser and the writer; the fuzzer (fuzz/) drives it
// directly, so everything a hostile client controls is checked here in one place.

#include "actors/handler.hpp"
#include "server/config.hpp"
#include "server/router.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>
#include <string>

namespace fastactor {

using beast_request = boost::beast::http::request<boost::beast::http::string_body>;

/// A request the server refuses before any handler sees it.
struct request_refusal {
  std::uint16_t status;
  std::string message;
};

/// Checks a parsed header before its body is read: framing that the server does not support
/// (a transfer-coding other than chunked: 501; chunked not last: 400) or an Expect it cannot
/// meet (417). Beast itself already refuses Content-Length with Transfer-Encoding, differing
/// Content-Lengths and bad chunk sizes.
std::optional<request_refusal> check_header(const beast_request& header);

/// True when the client waits for `100 Continue` before it sends the body.
bool wants_100_continue(const beast_request& header);

/// What a parse error means for the client (400, 413, 431) — or nothing if the client simply
/// went away (EOF, reset, partial message), which needs no answer.
std::optional<request_refusal> refusal_for(boost::beast::error_code ec, const server_config& cfg);

/// The parsed request, target decoded (origin-form or absolute-form, via Boost.URL) and
/// routed; a target that cannot be parsed routes to a 400.
std::shared_ptr<routed_request> route_request(beast_request& msg, const router& routes);

/// A request answered with an error report only, after which the connection closes.
std::shared_ptr<routed_request> refused_request(const request_refusal& why);

} // namespace fastactor
