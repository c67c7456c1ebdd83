#pragma once
// request_reuse: a connection's next request carried by its last one's memory.
//
// A request costs two blocks of its own: the routed_request (with its shared_ptr control
// block) and the room for its header fields. Freed when the response ends and made again for
// the next request of the same connection, they cost a /hello two malloc/free pairs and the
// construction and destruction of every member. A request whose response is done is handed
// back to its connection instead (connection::request_done), cleared here, and carries the next
// request parsed on that connection (request_parser).
//
// What it keeps is bounded: a request that grew large (a long target, many fields, a body)
// keeps none of that growth, so a client cannot make an idle connection hold its largest
// request's memory.

#include <fastactor/handler.hpp>

#include <cstddef>

namespace fastactor {

/// The most a cleared request keeps: the bytes of each string, the entries of each list (the
/// parser's usual room for header fields).
inline constexpr std::size_t reuse_string_max = 128;
inline constexpr std::size_t reuse_fields_max = 8;

/// Clears `in` for the connection's next request: what the parser sets is empty again, with
/// its room kept up to the bounds above. The peer stays (the same connection), and so does a
/// route's handler, which route() sets for every request (mostly to the same one: it saves two
/// atomic updates of the handler's count); a handler made for this request alone (a 404's)
/// goes. So a cleared request holds at most its own block (~320 bytes), 4 lists of 8 entries
/// (~2 KiB) and 5 strings of 128 bytes: ~3 KiB, ~0.85 KiB after a /hello.
void clear_for_reuse(routed_request& in);

}  // namespace fastactor
