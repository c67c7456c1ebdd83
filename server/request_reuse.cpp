#include "server/request_reuse.hpp"

#include <string>

namespace fastactor {

namespace {

void clear_string(std::string& s) {
  if (s.capacity() > reuse_string_max)
    std::string{}.swap(s);
  else
    s.clear();
}

void clear_list(name_value_list& list) {
  if (list.capacity() > reuse_fields_max)
    name_value_list{}.swap(list);
  else
    list.clear();
}

}  // namespace

void clear_for_reuse(routed_request& in) {
  auto& req = in.req;
  req.method = method::get;  // request's defaults
  clear_string(req.other_method);
  clear_string(req.target);
  clear_string(req.path);
  clear_list(req.query);
  clear_list(req.params);
  clear_list(req.headers);
  clear_list(req.trailers);
  clear_string(req.body);
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
