#pragma once
// Comma-separated field values (RFC 9110 5.6.1: `#element` lists such as Accept-Encoding,
// Vary, Cache-Control), read without copying: members are trimmed of optional whitespace, and
// empty ones (`a,,b`) are skipped, as the RFC asks of a recipient.

#include <string_view>

namespace fastactor {

/// `text` without the spaces and tabs (OWS) around it.
inline std::string_view trim_ows(std::string_view text) {
  constexpr std::string_view ows = " \t";
  auto first = text.find_first_not_of(ows);
  if (first == std::string_view::npos)
    return {};
  return text.substr(first, text.find_last_not_of(ows) - first + 1);
}

/// Calls `fn(member)` for each non-empty member of `list`, trimmed, in order. One pass: the
/// cost is linear in the list's length whatever it holds.
template <class F>
void for_each_member(std::string_view list, F fn) {
  while (true) {
    auto comma = list.find(',');
    if (auto member = trim_ows(list.substr(0, comma)); !member.empty())
      fn(member);
    if (comma == std::string_view::npos)
      return;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace fastactor
