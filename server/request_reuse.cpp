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
  // The handler stays: routing sets every request's (route()), and finds it mostly the same.
  in.arrived = {};
}

}  // namespace fastactor
