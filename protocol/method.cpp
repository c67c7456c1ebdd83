#include <fastactor/method.hpp>

namespace fastactor {

namespace {

constexpr method known_methods[] = {method::get,     method::head,    method::post,
                                    method::put,     method::delete_, method::connect,
                                    method::options, method::trace,   method::patch};

}  // namespace

std::string_view to_string(method m) {
  switch (m) {
    case method::get: return "GET";
    case method::head: return "HEAD";
    case method::post: return "POST";
    case method::put: return "PUT";
    case method::delete_: return "DELETE";
    case method::connect: return "CONNECT";
    case method::options: return "OPTIONS";
    case method::trace: return "TRACE";
    case method::patch: return "PATCH";
    case method::other: return "";
  }
  return "";
}

method parse_method(std::string_view token) {
  for (auto m : known_methods)
    if (token == to_string(m))
      return m;
  return method::other;
}

}  // namespace fastactor
