#pragma once
// A handler answers one route: it runs inside the request's writer actor, so it must not
// block; it writes, fails, or starts producers (worker actors, blocking tasks) and returns.
// The response completes when the handler has returned and every producer it started is done.

#include <fastactor/request.hpp>

#include <caf/allowed_unsafe_message_type.hpp>

#include <functional>
#include <memory>

namespace fastactor {

class context;

using handler = std::function<void(context&)>;

/// A parsed request together with the handler the router chose for it.
struct routed_request {
  request req;  ///< what the client asked
  std::shared_ptr<const handler> fn;  ///< the route's handler (or the server's 4xx answer)
};

}  // namespace fastactor

// Travels only between a session and its writer, in one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const fastactor::routed_request>)
