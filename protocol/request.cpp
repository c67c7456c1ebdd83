#include <fastactor/request.hpp>

#include <algorithm>

namespace fastactor {

namespace {

std::optional<std::string_view> find(const name_value_list& list, std::string_view name,
                                     bool case_insensitive) {
  for (const auto& [key, value] : list)
    if (case_insensitive ? iequals(key, name) : key == name)
      return std::string_view{value};
  return std::nullopt;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
           return lower(x) == lower(y);
         });
}

std::optional<std::string_view> request::query_param(std::string_view name) const {
  return find(query, name, false);
}

std::optional<std::string_view> request::path_param(std::string_view name) const {
  return find(params, name, false);
}

std::optional<std::string_view> request::header(std::string_view name) const {
  return find(headers, name, true);
}

}  // namespace fastactor
