#include "server/request_reader.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <iterator>

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

/// The target as a URL: origin-form ("/path?q") or absolute-form ("http://host/path?q").
boost::system::result<boost::urls::url_view> parse_target(std::string_view target) {
  if (!target.empty() && target.front() == '/')
    return boost::urls::parse_origin_form(target);
  return boost::urls::parse_absolute_uri(target);
}

} // namespace

std::optional<request_refusal> check_header(const beast_request& header) {
  for (const auto& field : header.base()) {
    // Obsolete line folding and bare CR/LF inside a value are smuggling vectors: refuse them.
    if (field.value().find_first_of("\r\n") != std::string_view::npos)
      return request_refusal{400, "header field '" + std::string{field.name_string()}
                                    + "' uses obsolete line folding"};
  }
  // HTTP/1.1 requires exactly one Host (RFC 9112 3.2).
  if (header.version() == 11 && header.base().count(http::field::host) != 1)
    return request_refusal{400, header.base().count(http::field::host) == 0
                                  ? "missing Host header"
                                  : "more than one Host header"};
  auto expect = header.base().find(http::field::expect);
  if (expect != header.base().end() && lower_trimmed(expect->value()) != "100-continue")
    return request_refusal{417, "unsupported expectation '" + std::string{expect->value()} + "'"};
  auto te = header.base().find(http::field::transfer_encoding);
  if (te == header.base().end())
    return std::nullopt;
  // Transfer-Encoding is a comma-separated list; only "chunked" is supported, and a request's
  // last coding must be chunked (RFC 9112 6.3), else its length is unknowable.
  std::string_view list = te->value();
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
      return request_refusal{501, "unsupported transfer-coding '" + coding + "'"};
  if (codings.size() != 1)
    return request_refusal{400, "Transfer-Encoding must be exactly 'chunked'"};
  return std::nullopt;
}

bool wants_100_continue(const beast_request& header) {
  auto expect = header.base().find(http::field::expect);
  return expect != header.base().end() && lower_trimmed(expect->value()) == "100-continue"
         && header.version() == 11;
}

std::optional<request_refusal> refusal_for(boost::beast::error_code ec, const server_config& cfg) {
  if (ec == http::error::end_of_stream || ec == http::error::partial_message
      || ec.category() != http::make_error_code(http::error::bad_target).category())
    return std::nullopt;  // the client left (or the socket failed): nobody to answer
  if (ec == http::error::header_limit)
    return request_refusal{431, "request header block is larger than "
                                  + std::to_string(cfg.max_header_bytes) + " bytes"};
  if (ec == http::error::body_limit)
    return request_refusal{413, "request body is larger than " + std::to_string(cfg.max_body_bytes)
                                  + " bytes"};
  return request_refusal{400, "malformed request: " + ec.message()};
}

std::shared_ptr<routed_request> route_request(beast_request& msg, const router& routes) {
  auto in = std::make_shared<routed_request>();
  auto& req = in->req;
  req.method = std::string{msg.method_string()};
  req.target = std::string{msg.target()};
  req.version = msg.version();
  req.keep_alive = msg.keep_alive();
  req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
  for (const auto& field : msg)
    req.headers.emplace_back(std::string{field.name_string()}, std::string{field.value()});
  req.body = std::move(msg.body());
  auto url = parse_target(msg.target());
  if (!url) {
    in->fn = router::error_handler(400, "malformed request target '" + req.target + "'");
    return in;
  }
  req.path = url->path();
  if (req.path.empty())
    req.path = "/";
  req.query.reserve(url->params().size());
  for (auto param : url->params())
    req.query.emplace_back(param.key, param.value);
  std::vector<std::string> segments;
  for (auto segment : url->segments())
    segments.push_back(std::move(segment));
  auto match = routes.route(req.method, segments);
  in->fn = std::move(match.fn);
  req.params = std::move(match.params);
  return in;
}

std::shared_ptr<routed_request> refused_request(const request_refusal& why) {
  auto in = std::make_shared<routed_request>();
  in->req.method = "GET";
  in->req.keep_alive = false;  // the byte stream cannot be trusted past a refused request
  in->fn = router::error_handler(why.status, why.message);
  return in;
}

} // namespace fastactor
