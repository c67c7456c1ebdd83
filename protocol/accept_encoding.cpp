#include "protocol/accept_encoding.hpp"

#include "protocol/field_list.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace fastactor {

namespace {

/// A qvalue in thousandths (RFC 9110 12.4.2: "0", "0.5", "1.000"; at most three decimals,
/// at most 1), or nullopt if it is not one.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1'))
    return std::nullopt;
  int thousandths = (text[0] - '0') * 1000;
  if (text.size() == 1)
    return thousandths;
  if (text[1] != '.' || text.size() > 5)
    return std::nullopt;
  int scale = 100;
  for (auto c : text.substr(2)) {
    if (c < '0' || c > '9')
      return std::nullopt;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  return thousandths <= 1000 ? std::optional<int>{thousandths} : std::nullopt;
}

/// One member of the list: a coding token and its weight (1000 when none is given).
struct member {
  std::string_view token;
  int q = 1000;
};

/// Parses "token *( OWS ; OWS param )"; nullopt if the member is malformed. Parameters
/// other than q are ignored (the grammar has none, but a strict reading would only make us
/// send identity to a client that can decode more).
std::optional<member> parse_member(std::string_view text) {
  auto semicolon = text.find(';');
  member m{trim_ows(text.substr(0, semicolon))};
  if (m.token.empty())
    return std::nullopt;
  while (semicolon != std::string_view::npos) {
    text.remove_prefix(semicolon + 1);
    semicolon = text.find(';');
    auto param = trim_ows(text.substr(0, semicolon));
    auto eq = param.find('=');
    if (eq == std::string_view::npos)
      return std::nullopt;  // a stray `;` or a name without a value
    auto name = trim_ows(param.substr(0, eq));
    if (name == "q" || name == "Q") {
      auto q = parse_qvalue(trim_ows(param.substr(eq + 1)));
      if (!q)
        return std::nullopt;
      m.q = *q;
    }
  }
  return m;
}

/// What the client said about each coding: -1 not named.
struct weights {
  std::array<int, 4> by_coding{-1, -1, -1, -1};  ///< indexed by content_coding
  int any = -1;  ///< `*`

  int& of(content_coding c) { return by_coding[static_cast<std::size_t>(c)]; }

  void add(const member& m) {
    if (m.token == "*") {
      any = std::max(any, m.q);
    } else if (auto c = coding_named(m.token)) {
      of(*c) = std::max(of(*c), m.q);
    }
  }

  /// The weight of a coding we produce: its own, or `*`'s, or 0.
  int accepted(content_coding c) {
    auto own = of(c);
    return own >= 0 ? own : std::max(any, 0);
  }
};

void add_members(std::string_view field, weights& w) {
  for_each_member(field, [&w](std::string_view text) {
    if (auto m = parse_member(text))
      w.add(*m);
  });
}

}  // namespace

coding_preference parse_coding_preference(std::string_view text, std::string& error) {
  coding_preference prefer;
  while (true) {
    auto comma = text.find(',');
    auto token = trim_ows(text.substr(0, comma));
    auto coding = coding_named(token);
    if (!coding || *coding == content_coding::identity) {
      error =
        "--compress-prefer lists codings among gzip, br and zstd, got '" + std::string{token} + "'";
      return {};
    }
    if (std::find(prefer.begin(), prefer.end(), *coding) != prefer.end()) {
      error = "--compress-prefer names '" + std::string{token} + "' twice";
      return {};
    }
    prefer.push_back(*coding);
    if (comma == std::string_view::npos)
      return prefer;
    text.remove_prefix(comma + 1);
  }
}

content_coding negotiate_coding(const name_value_list& request_headers,
                                const coding_preference& prefer) {
  weights w;
  bool asked = false;
  for (const auto& [name, value] : request_headers)
    if (iequals(name, "accept-encoding")) {
      asked = true;
      add_members(value, w);
    }
  if (!asked)
    return content_coding::identity;
  auto best = content_coding::identity;
  int best_q = 0;
  for (auto c : prefer)
    if (auto q = w.accepted(c); q > best_q) {
      best = c;
      best_q = q;
    }
  // identity wins only when the client named it with a higher weight than any coding.
  if (w.of(content_coding::identity) > best_q)
    return content_coding::identity;
  return best;
}

}  // namespace fastactor
