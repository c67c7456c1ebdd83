#include "protocol/content_coding.hpp"

namespace fastactor {

namespace {

// Tokens are ASCII (RFC 9110 5.6.2): comparing byte by byte with a lowered letter is enough,
// and needs no locale.
bool same_token(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i])
      return false;
  }
  return true;
}

}  // namespace

std::string_view token_of(content_coding coding) {
  switch (coding) {
    case content_coding::identity: return "identity";
    case content_coding::gzip: return "gzip";
    case content_coding::br: return "br";
    case content_coding::zstd: return "zstd";
  }
  return "identity";
}

std::optional<content_coding> coding_named(std::string_view token) {
  for (auto coding :
       {content_coding::identity, content_coding::gzip, content_coding::br, content_coding::zstd})
    if (same_token(token, token_of(coding)))
      return coding;
  if (same_token(token, "x-gzip"))
    return content_coding::gzip;
  return std::nullopt;
}

}  // namespace fastactor
