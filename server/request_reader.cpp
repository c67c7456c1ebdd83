#include "server/request_reader.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace fastactor {

namespace http = boost::beast::http;

namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// A CR or LF inside a field value. Two memchr passes: string_view::find_first_of tests
/// every character against the set in a loop (~8 instructions a character, callgrind), and a
/// request checks every value.
bool has_cr_or_lf(std::string_view value) {
  if (value.empty())  // its data() may be null, which memchr must not get
    return false;
  return std::memchr(value.data(), '\r', value.size()) != nullptr
    || std::memchr(value.data(), '\n', value.size()) != nullptr;
}

/// The target as a URL: origin-form ("/path?q") or absolute-form ("http://host/path?q").
boost::system::result<boost::urls::url_view> parse_target(std::string_view target) {
  if (!target.empty() && target.front() == '/')
    return boost::urls::parse_origin_form(target);
  return boost::urls::parse_absolute_uri(target);
}

/// Dot segments ("/./", "/..") are Boost.URL's to interpret (it reads a leading "/." as a
/// prefix, not a segment).
bool has_dot_segment(std::string_view path) {
  std::size_t segment_start = 1;
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      auto segment = path.substr(segment_start, i - segment_start);
      if (segment == "." || segment == "..")
        return true;
      segment_start = i + 1;
    }
  }
  return false;
}

}  // namespace

// Boost.URL parses what it parses the same (no query, nothing to decode, so path and
// segments are the text itself: tests/test_request_target.cpp compares the two), but a
// request pays ~1,000 instructions for its generality.
bool is_plain_path(std::string_view target) {
  if (target.empty() || target.front() != '/')
    return false;
  // By table, as every request's path is checked: RFC 3986's unreserved characters and "/",
  // with "." told apart, as only a path with a dot can hold a dot segment.
  enum : std::uint8_t { other, plain, dot };
  static constexpr auto kinds = [] {
    std::array<std::uint8_t, 256> table{};
    for (int c = 0; c < 256; ++c)
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
          || c == '_' || c == '~' || c == '/')
        table[c] = plain;
    table['.'] = dot;
    return table;
  }();
  std::uint8_t seen = plain;
  for (char c : target) {
    auto kind = kinds[static_cast<unsigned char>(c)];
    if (kind == other)
      return false;
    seen |= kind;
  }
  return (seen & dot) == 0 || !has_dot_segment(target);
}

incoming_request::incoming_request(const server_config& cfg,
                                   std::shared_ptr<routed_request>* reuse_from)
  : cfg_(cfg), reuse_from_(reuse_from) {
  restart();
}

void incoming_request::restart() {
  parser_.reset();
  parser_.emplace(reuse_from_);
  parser_->header_limit(static_cast<std::uint32_t>(cfg_.max_header_bytes));
  parser_->body_limit(cfg_.max_body_bytes);
  parser_->limit_fields(cfg_.max_header_bytes, cfg_.max_header_fields);
}

std::optional<request_refusal> incoming_request::header_done() {
  if (auto why = check_header(get()))
    return why;
  if (header_size(get()) > cfg_.max_header_bytes)
    return request_refusal{status::request_header_fields_too_large,
                           "request header block is larger than "
                             + std::to_string(cfg_.max_header_bytes) + " bytes"};
  return std::nullopt;
}

std::optional<request_refusal> incoming_request::refusal(boost::beast::error_code ec) const {
  using limit = request_parser::limit;
  switch (parser_->limit_hit()) {
    case limit::none: break;
    case limit::header_bytes: return refusal_for(ec, cfg_);  // as Beast's own limit says it
    case limit::header_fields:
      return request_refusal{status::request_header_fields_too_large,
                             "request header has more than "
                               + std::to_string(cfg_.max_header_fields) + " fields"};
    case limit::trailer_bytes:
      return request_refusal{status::request_header_fields_too_large,
                             "request trailer section is larger than "
                               + std::to_string(cfg_.max_header_bytes) + " bytes"};
    case limit::trailer_fields:
      return request_refusal{status::request_header_fields_too_large,
                             "request trailer section has more than "
                               + std::to_string(cfg_.max_header_fields) + " fields"};
  }
  if (parser_->framing_exceeded())
    return request_refusal{status::bad_request,
                           "chunked body carries more than "
                             + std::to_string(chunk_framing_budget::overhead_max)
                             + " bytes of framing (chunk extensions) beyond its data"};
  return refusal_for(ec, cfg_);
}

std::pair<std::shared_ptr<routed_request>, bool> incoming_request::finish(const router& routes) {
  if (auto why = check_trailers(get()))
    return {refused_request(*why), true};
  auto in = parser_->release();
  auto& req = in->req;
  // An HTTP/1.0 message with Transfer-Encoding has faulty framing: answer it, then close
  // (RFC 9112 6.1), whatever its Connection header asks.
  if (req.version < 11 && req.header("Transfer-Encoding"))
    req.keep_alive = false;
  route(*in, routes);
  return {std::move(in), false};
}

namespace {

/// The header fields check_header looks at.
enum class checked_field { host, expect, transfer_encoding, other };

/// By length first: most fields are told apart without a comparison.
checked_field classify(std::string_view name) {
  switch (name.size()) {
    case 4: return iequals(name, "host") ? checked_field::host : checked_field::other;
    case 6: return iequals(name, "expect") ? checked_field::expect : checked_field::other;
    case 17:
      return iequals(name, "transfer-encoding") ? checked_field::transfer_encoding
                                                : checked_field::other;
    default: return checked_field::other;
  }
}

}  // namespace

// One pass over the fields.
std::optional<request_refusal> check_header(const request& header) {
  std::size_t hosts = 0;
  std::optional<std::string_view> expect, te;
  for (const auto& [name, value] : header.headers) {
    // A CR or LF inside a value is a smuggling vector. Beast's parser refuses control
    // characters and folds obsolete line folding into spaces, so none should arrive; the
    // check stays for whatever else fills a request.
    if (has_cr_or_lf(value))
      return request_refusal{status::bad_request,
                             "header field '" + name + "' has a CR or LF in its value"};
    switch (classify(name)) {
      case checked_field::host: ++hosts; break;
      case checked_field::expect:
        if (!expect)  // the first, as request::header finds it
          expect = value;
        break;
      case checked_field::transfer_encoding:
        if (!te)
          te = value;
        break;
      case checked_field::other: break;
    }
  }
  // HTTP/1.1 requires exactly one Host (RFC 9112 3.2).
  if (header.version == 11 && hosts != 1)
    return request_refusal{status::bad_request,
                           hosts == 0 ? "missing Host header" : "more than one Host header"};
  if (expect && lower_trimmed(*expect) != "100-continue")
    return request_refusal{status::expectation_failed,
                           "unsupported expectation '" + std::string{*expect} + "'"};
  if (!te)
    return std::nullopt;
  // Transfer-Encoding is a comma-separated list; only "chunked" is supported, and a request's
  // last coding must be chunked (RFC 9112 6.3), else its length is unknowable.
  std::string_view list = *te;
  std::vector<std::string> codings;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto coding = lower_trimmed(list.substr(0, comma));
    if (!coding.empty())
      codings.push_back(coding);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  for (const auto& coding : codings)
    if (coding != "chunked")
      return request_refusal{status::not_implemented,
                             "unsupported transfer-coding '" + coding + "'"};
  if (codings.size() != 1)
    return request_refusal{status::bad_request, "Transfer-Encoding must be exactly 'chunked'"};
  return std::nullopt;
}

std::size_t header_size(const request& header) {
  // "METHOD SP target SP HTTP/1.1 CRLF", "name: value CRLF" per field, and the empty line.
  auto size = header.method_name().size() + header.target.size() + 12;
  for (const auto& [name, value] : header.headers)
    size += name.size() + value.size() + 4;
  return size + 2;
}

bool wants_100_continue(const request& header) {
  auto expect = header.header("Expect");
  return expect && lower_trimmed(*expect) == "100-continue" && header.version == 11;
}

std::optional<request_refusal> refusal_for(boost::beast::error_code ec, const server_config& cfg) {
  if (ec == http::error::end_of_stream || ec == http::error::partial_message
      || ec.category() != http::make_error_code(http::error::bad_target).category())
    return std::nullopt;  // the client left (or the socket failed): nobody to answer
  if (ec == http::error::header_limit)
    return request_refusal{status::request_header_fields_too_large,
                           "request header block is larger than "
                             + std::to_string(cfg.max_header_bytes) + " bytes"};
  if (ec == http::error::buffer_overflow)
    return request_refusal{status::bad_request,
                           "a request line, chunk-size line or trailer section is longer "
                           "than the read buffer ("
                             + std::to_string(read_buffer_max(cfg)) + " bytes)"};
  if (ec == http::error::body_limit)
    return request_refusal{status::content_too_large,
                           "request body is larger than " + std::to_string(cfg.max_body_bytes)
                             + " bytes"};
  return request_refusal{status::bad_request, "malformed request: " + ec.message()};
}

std::optional<request_refusal> check_trailers(const request& req) {
  // Fields that frame, route, authenticate or negotiate: a proxy or handler that merged them
  // would trust what the header checks never saw.
  static constexpr std::string_view forbidden[] = {"content-length",
                                                   "transfer-encoding",
                                                   "content-type",
                                                   "content-encoding",
                                                   "content-range",
                                                   "host",
                                                   "authorization",
                                                   "proxy-authorization",
                                                   "cookie",
                                                   "set-cookie",
                                                   "connection",
                                                   "keep-alive",
                                                   "te",
                                                   "trailer",
                                                   "upgrade",
                                                   "expect",
                                                   "range",
                                                   "if-match",
                                                   "if-none-match",
                                                   "if-modified-since",
                                                   "if-unmodified-since",
                                                   "if-range",
                                                   "max-forwards",
                                                   "cache-control",
                                                   "pragma",
                                                   "age",
                                                   "expires",
                                                   "date",
                                                   "location",
                                                   "retry-after",
                                                   "vary",
                                                   "www-authenticate",
                                                   "proxy-authenticate"};
  for (const auto& field : req.trailers)
    for (auto name : forbidden)
      if (iequals(field.first, name))
        return request_refusal{status::bad_request,
                               "trailer field '" + field.first
                                 + "' is not allowed in a trailer (RFC 9110 6.5.1)"};
  return std::nullopt;
}

void route(routed_request& in, const router& routes) {
  auto& req = in.req;
  // A 405's message names the method as sent; the router names a known one itself (computing
  // the name of every request's method cost ~30 instructions of a /hello).
  std::string_view other_name =
    req.method == method::other ? std::string_view{req.other_method} : std::string_view{};
  if (is_plain_path(req.target)) {
    req.path = req.target;
    if (auto* fn = routes.find_exact(req.method, req.path)) {
      // A reused request (request_reuse.hpp) mostly holds this handler already: assigning it
      // again would cost two atomic updates of its count.
      if (in.fn != *fn)
        in.fn = *fn;
      req.params.clear();
      return;
    }
    auto match = routes.route(req.method, split_path(req.path), other_name);  // parameters, 404
    in.fn = std::move(match.fn);
    req.params = std::move(match.params);
    return;
  }
  std::vector<std::string> segments;
  {
    auto url = parse_target(req.target);
    if (!url) {
      in.fn =
        router::error_handler(status::bad_request, "malformed request target '" + req.target + "'");
      return;
    }
    req.path = url->path();
    if (req.path.empty())
      req.path = "/";
    req.query.reserve(url->params().size());
    for (auto param : url->params())
      req.query.emplace_back(param.key, param.value);
    for (auto segment : url->segments())
      segments.push_back(std::move(segment));
  }
  auto match = routes.route(req.method, segments, other_name);
  in.fn = std::move(match.fn);
  req.params = std::move(match.params);
}

std::shared_ptr<routed_request> refused_request(const request_refusal& why) {
  auto in = std::make_shared<routed_request>();
  in->req.method = method::get;
  in->req.keep_alive = false;  // the byte stream cannot be trusted past a refused request
  in->fn = router::error_handler(why.status, why.message);
  return in;
}

}  // namespace fastactor
