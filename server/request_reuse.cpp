#include "server/request_reuse.hpp"

#include "protocol/release_memory.hpp"

#include <string>

namespace fastactor {

namespace {

/// Empties `c`, keeping its room only up to `room_max` (characters or entries).
template <class Container>
void clear_within(Container& c, std::size_t room_max) {
  if (c.capacity() > room_max)
    release_memory(c);
  else
    c.clear();
}

}  // namespace

void clear_for_reuse(routed_request& in) {
  auto& req = in.req;
  req.method = method::get;  // request's defaults
  clear_within(req.other_method, reuse_string_max);
  clear_within(req.target, reuse_string_max);
  clear_within(req.path, reuse_string_max);
  clear_within(req.query, reuse_fields_max);
  clear_within(req.params, reuse_fields_max);
  clear_within(req.headers, reuse_fields_max);
  clear_within(req.trailers, reuse_fields_max);
  clear_within(req.body, reuse_string_max);
  req.version = 11;
  req.keep_alive = true;
  // A route's handler stays: routing sets every request's (route()), and finds it mostly the
  // same. One only this request holds was made for it (a 404's or 400's, whose message can
  // quote a target of kilobytes) and goes. (A route's is held by its router too, so no other
  // thread's copy can bring its count to 1.)
  if (in.fn.use_count() == 1)
    in.fn.reset();
  in.arrived = {};
}

}  // namespace fastactor
