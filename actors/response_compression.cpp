#include "actors/response_compression.hpp"

#include "protocol/accept_encoding.hpp"
#include "protocol/compressible_type.hpp"
#include "protocol/content_encoder.hpp"
#include "protocol/field_list.hpp"

namespace fastactor {

namespace {

std::string* field(request_scope& sc, std::string_view name) {
  for (auto& [n, v] : sc.headers)
    if (iequals(n, name))
      return &v;
  return nullptr;
}

/// Whether the comma-separated `list` (Vary, Cache-Control) has a member named `name`
/// (a Cache-Control directive's name is what comes before its `=`).
bool has_member(std::string_view list, std::string_view name) {
  bool found = false;
  for_each_member(list, [&](std::string_view member) {
    found = found || iequals(trim_ows(member.substr(0, member.find('='))), name);
  });
  return found;
}

/// Whether the handler has made the body's coding its own business.
bool handler_decides(request_scope& sc) {
  if (sc.compress == compression::off || field(sc, "content-encoding"))
    return true;
  auto* cache = field(sc, "cache-control");
  return cache && has_member(*cache, "no-transform");  // RFC 9111 5.2.2.6
}

void count(server_stats::compression_counters& c, content_coding coding) {
  auto& counter = coding == content_coding::gzip ? c.gzip_total
    : coding == content_coding::br               ? c.br_total
                                                 : c.zstd_total;
  counter.fetch_add(1, std::memory_order_relaxed);
}

/// Queues and compressors together: a new compressor is made only while they are under
/// --response-memory-max. (Compressors have a gauge of their own so that an idle coded
/// stream's compressor never counts against another response's queue: a thousand idle
/// coded SSE streams would otherwise make other responses fail.)
bool over_budget(const request_scope& sc, const runtime& rt) {
  auto held =
    sc.server_held_bytes() + rt.stats.compression.memory_bytes.load(std::memory_order_relaxed);
  return held > static_cast<std::int64_t>(rt.limits.response_memory_max);
}

}  // namespace

std::string_view head_content_type(const request_scope& sc, std::string_view override_type) {
  if (!override_type.empty())
    return override_type;
  for (const auto& [n, v] : sc.headers)
    if (iequals(n, "content-type"))
      return v;
  return "text/plain";
}

void choose_coding(request_scope& sc, runtime& rt, std::optional<std::size_t> whole_body,
                   std::string_view content_type) {
  const auto& lim = rt.limits;
  if (!lim.compression || handler_decides(sc) || sc.status == status::partial_content)
    return;
  // A small whole body is never coded, whoever asks: its answer does not vary (and /hello
  // stays as lean as it was).
  if (whole_body && *whole_body < lim.compress_min_bytes)
    return;
  if (sc.compress != compression::on && !compressible_type(content_type))
    return;
  sc.varies_by_encoding = true;  // from here on, Accept-Encoding could change the answer
  if (sc.head || !has_body(sc.status))
    return;
  auto coding = negotiate_coding(sc.req().headers, lim.compress_prefer);
  if (coding == content_coding::identity)
    return;
  // The server's response memory is spent: a coded response would hold a compressor more.
  if (over_budget(sc, rt)) {
    rt.stats.compression.failures_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  sc.encoder = content_encoder::make(coding, {lim.level_of(coding), lim.compress_memory_max},
                                     &rt.stats.compression.memory_bytes);
  if (!sc.encoder) {
    rt.stats.compression.failures_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  sc.coding = coding;
}

void add_coding_fields(request_scope& sc, runtime& rt) {
  if (sc.varies_by_encoding) {
    if (auto* vary = field(sc, "vary")) {
      if (!has_member(*vary, "*") && !has_member(*vary, "accept-encoding"))
        *vary += ", Accept-Encoding";
    } else {
      sc.headers.emplace_back("Vary", "Accept-Encoding");
    }
  }
  if (!sc.encoder)
    return;
  count(rt.stats.compression, sc.coding);
  sc.headers.emplace_back("Content-Encoding", std::string{token_of(sc.coding)});
  if (auto* etag = field(sc, "etag"); etag && etag->rfind("W/", 0) != 0)
    etag->insert(0, "W/");
}

namespace {

bool encode(request_scope& sc, runtime& rt, const std::string* parts, std::size_t count,
            std::size_t bytes, bool finish, std::string& out) {
  auto before = out.size();
  if (!sc.encoder->encode(parts, count, finish, out)) {
    out.resize(before);
    sc.encoder.reset();
    sc.coding = content_coding::identity;
    rt.stats.compression.failures_total.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  auto& c = rt.stats.compression;
  c.input_bytes_total.fetch_add(bytes, std::memory_order_relaxed);
  c.output_bytes_total.fetch_add(out.size() - before, std::memory_order_relaxed);
  return true;
}

}  // namespace

std::optional<std::size_t> compress_queue(request_scope& sc, runtime& rt, std::size_t max_input,
                                          bool finish, std::string& out) {
  // The slice: what is left of the parts from queue_front on, whole while they fit in
  // max_input; if the first alone does not, max_input bytes of it (the rest waits for the
  // next slice, so that no slice, and no turn of the I/O thread, compresses more).
  const auto& q = sc.queue;
  auto end = sc.queue_front;
  auto end_offset = sc.front_offset;
  std::size_t bytes = 0;
  while (end < q.size()) {
    auto left = q[end].size() - end_offset;
    if (bytes + left <= max_input) {
      bytes += left;
      ++end;
      end_offset = 0;
    } else {
      if (bytes == 0) {  // a part larger than a slice: a piece of it
        bytes = max_input;
        end_offset += max_input;
      }
      break;
    }
  }
  finish = finish && end == q.size();
  const std::string* parts = q.data() + sc.queue_front;
  auto count = end - sc.queue_front;
  std::vector<std::string> pieces;  // copies (at most max_input bytes) where parts are partial
  if (sc.front_offset > 0 || end_offset > 0) {
    for (auto i = sc.queue_front; i <= end && i < q.size(); ++i) {
      auto from = i == sc.queue_front ? sc.front_offset : 0;
      auto to = i == end ? end_offset : q[i].size();
      if (to > from)
        pieces.push_back(q[i].substr(from, to - from));
    }
    parts = pieces.data();
    count = pieces.size();
  }
  if (!encode(sc, rt, parts, count, bytes, finish, out))
    return std::nullopt;
  sc.advance_front(end, end_offset, bytes);
  return bytes;
}

bool compress_text(request_scope& sc, runtime& rt, const std::string& text, std::string& out) {
  return encode(sc, rt, &text, 1, text.size(), true, out);
}

}  // namespace fastactor
