#include <fastactor/sse.hpp>

#include <charconv>

namespace fastactor {

namespace {

void append_field(std::string& out, std::string_view name, std::string_view value, bool drop_nul) {
  out += name;
  out += ": ";
  for (char c : value)
    if (c != '\r' && c != '\n' && !(drop_nul && c == '\0'))
      out += c;
  out += '\n';
}

}  // namespace

std::string encode_sse(const sse_event& ev) {
  std::string out;
  out.reserve(ev.data.size() + ev.event.size() + ev.id.size() + 32);
  if (!ev.event.empty())
    append_field(out, "event", ev.event, false);
  if (!ev.id.empty())
    append_field(out, "id", ev.id, true);
  if (ev.retry_ms >= 0) {
    out += "retry: ";
    out += std::to_string(ev.retry_ms);
    out += '\n';
  }
  // Every line of the payload gets its own data field; CRLF, CR and LF all end a line. No
  // data at all (e.g. only `retry`) writes no data field: the browser dispatches nothing.
  std::size_t start = 0;
  const auto& d = ev.data;
  for (std::size_t i = 0; !d.empty() && i <= d.size(); ++i) {
    if (i < d.size() && d[i] != '\r' && d[i] != '\n')
      continue;
    out += "data: ";
    out.append(d, start, i - start);
    out += '\n';
    if (i + 1 < d.size() && d[i] == '\r' && d[i + 1] == '\n')
      ++i;
    start = i + 1;
  }
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  for (char c : text)
    if (c != '\r' && c != '\n')
      out += c;
  out += "\n\n";
  return out;
}

std::optional<std::uint64_t> parse_event_id(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace fastactor
