#include "protocol/http1_framer.hpp"

#include "protocol/chunked.hpp"

namespace fastactor {

// The body's own vector becomes the write's (the writer reserves room for the framing in it):
// a response costs no second vector.
std::vector<std::string> http1_framer::frame(outgoing&& out) {
  if (out.head)
    chunked_ = out.head->body == framing::chunked;
  // All of a write's body is one chunk: chunk boundaries mean nothing in HTTP, and one size
  // line per write keeps a burst of small chunks to one syscall.
  bool chunk = chunked_ && out.body_bytes > 0;
  auto parts = std::move(out.body);
  if (auto front = std::size_t{out.head ? 1u : 0u} + (chunk ? 1u : 0u); front > 0) {
    parts.insert(parts.begin(), front, std::string{});
    if (out.head)
      parts.front() = render(*out.head);
    if (chunk)
      parts[front - 1] = chunked::size_line(out.body_bytes);
  }
  if (chunk)
    parts.emplace_back(chunked::crlf);
  if (out.ends_body && chunked_)
    parts.push_back(chunked::last_chunk(render_fields(out.trailers)));
  return parts;
}

std::string_view http1_framer::flat_head(const outgoing& out) {
  if (!out.head || out.head->body == framing::chunked)
    return {};
  auto text = render_cached(*out.head);
  if (!text.empty())
    chunked_ = false;
  return text;
}

std::string render_fields(const name_value_list& fields) {
  std::string lines;
  for (const auto& [name, value] : fields) {
    lines += name;
    lines += ": ";
    lines += value;
    lines += "\r\n";
  }
  return lines;
}

}  // namespace fastactor
