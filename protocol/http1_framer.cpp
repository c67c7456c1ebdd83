#include "protocol/http1_framer.hpp"

#include "protocol/chunked.hpp"

namespace fastactor {

std::vector<std::string> http1_framer::frame(outgoing&& out) {
  std::vector<std::string> parts;
  parts.reserve(out.body.size() + 4);  // + head, size line, CRLF, last chunk
  if (out.head) {
    parts.push_back(render(*out.head));
    chunked_ = out.head->body == framing::chunked;
  }
  // All of a write's body is one chunk: chunk boundaries mean nothing in HTTP, and one size
  // line per write keeps a burst of small chunks to one syscall.
  bool chunk = chunked_ && out.body_bytes > 0;
  if (chunk)
    parts.push_back(chunked::size_line(out.body_bytes));
  for (auto& part : out.body)
    parts.push_back(std::move(part));
  if (chunk)
    parts.emplace_back(chunked::crlf);
  if (out.ends_body && chunked_)
    parts.push_back(chunked::last_chunk(render_fields(out.trailers)));
  return parts;
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
