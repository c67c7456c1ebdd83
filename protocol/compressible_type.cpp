#include "protocol/compressible_type.hpp"

#include "protocol/field_list.hpp"

#include <fastactor/request.hpp>

namespace fastactor {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

/// "Text/HTML ; charset=x" -> "Text/HTML".
std::string_view essence(std::string_view type) {
  return trim_ows(type.substr(0, type.find(';')));
}

}  // namespace

bool compressible_type(std::string_view content_type) {
  static constexpr std::string_view application_types[] = {
    "application/json",         "application/x-ndjson",   "application/ndjson",
    "application/javascript",   "application/xml",        "application/wasm",
    "application/x-javascript", "application/ecmascript", "image/svg+xml"};
  auto type = essence(content_type);
  if (starts_with(type, "text/"))
    return true;
  for (auto t : application_types)
    if (iequals(type, t))
      return true;
  return ends_with(type, "+json") || ends_with(type, "+xml") || ends_with(type, "+text");
}

}  // namespace fastactor
