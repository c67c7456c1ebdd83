#pragma once
// A handler answers one route: it runs inside the request's writer actor, so it must not
// block; it writes, fails, or starts producers (worker actors, blocking tasks) and returns.
// The response completes when the handler has returned and every producer it started is done.

#include <fastactor/request.hpp>

#include <caf/allowed_unsafe_message_type.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace fastactor {

class context;

using handler = std::function<void(context&)>;

/// A parsed request together with the handler the router chose for it.
struct routed_request {
  request req;  ///< what the client asked
  std::shared_ptr<const handler> fn;  ///< the route's handler (or the server's 4xx answer)
  /// When the read that brought the request's first byte completed (HTTP/2: when its HEADERS
  /// began): its duration (metrics, access log) counts from here, as nginx's $request_time
  /// does, so a slow upload and the wait behind a pipelined request count (the request
  /// timeout does not: it counts from when the handler returned with the response still
  /// open). Unset (the epoch) for a request not read from a connection: it then counts from
  /// when its response began.
  std::chrono::steady_clock::time_point arrived{};
};

}  // namespace fastactor

// Travels only between a session and its writer, in one process: the session hands the
// request over, and the writer hands it back once its response is done
// (connection::request_done). The writer and handlers read it only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<fastactor::routed_request>)
