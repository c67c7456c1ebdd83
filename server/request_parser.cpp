#include "server/request_parser.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <algorithm>
#include <tuple>
#include <utility>

namespace fastactor {

namespace http = boost::beast::http;

namespace {

std::size_t hex_digits(std::uint64_t n) {
  std::size_t digits = 1;
  while (n >>= 4)
    ++digits;
  return digits;
}

/// A value without the optional whitespace around it (RFC 9110 5.5). Beast leaves a space in
/// front of a folded value whose first line was empty ("X:\r\n b" is " b"); Beast's own
/// field container trimmed it, so this does.
boost::beast::string_view trimmed(boost::beast::string_view value) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!value.empty() && blank(value.front()))
    value.remove_prefix(1);
  while (!value.empty() && blank(value.back()))
    value.remove_suffix(1);
  return value;
}

/// True if a Connection list names the "close" option.
bool names_close(boost::beast::string_view list) {
  for (auto option : http::token_list{list})
    if (iequals(option, "close"))
      return true;
  return false;
}

/// Beast has matched the method already (exactly, as parse_method does): its verb names ours
/// without comparing the token again (~55 instructions of a /hello).
method method_of(http::verb verb) {
  switch (verb) {
    case http::verb::get: return method::get;
    case http::verb::head: return method::head;
    case http::verb::post: return method::post;
    case http::verb::put: return method::put;
    case http::verb::delete_: return method::delete_;
    case http::verb::connect: return method::connect;
    case http::verb::options: return method::options;
    case http::verb::trace: return method::trace;
    case http::verb::patch: return method::patch;
    default: return method::other;
  }
}

}  // namespace

void chunk_framing_budget::operator()(std::uint64_t size, boost::beast::string_view extensions,
                                      boost::beast::error_code& ec) {
  // The chunk-size line with its CRLF, and the CRLF after the data.
  excess_ += hex_digits(size) + extensions.size() + 4;
  auto allowance = 16 + 2 * size;
  excess_ = excess_ > allowance ? excess_ - allowance : 0;
  if (excess_ > overhead_max) {
    exceeded_ = true;
    ec = http::error::bad_chunk_extension;
  }
}

void request_parser::on_request_impl(http::verb verb, string_view method_str, string_view target,
                                     int version, error_code&) {
  if (reuse_from_ && *reuse_from_)
    in_ = std::move(*reuse_from_);
  else
    in_ = std::make_shared<routed_request>();
  auto& req = in_->req;
  req.method = method_of(verb);
  if (req.method == method::other)
    req.other_method.assign(method_str.data(), method_str.size());
  req.target.assign(target.data(), target.size());
  req.version = static_cast<unsigned>(version);
  // "METHOD SP target SP HTTP/1.1 CRLF", as header_size counts it.
  section_bytes_ = method_str.size() + target.size() + 12;
}

// Counted as "name: value CRLF" (Beast has trimmed the whitespace around the value, which is
// not kept either). A field that passes a bound is not stored.
bool request_parser::within_limits(string_view name, string_view value) {
  section_bytes_ += name.size() + value.size() + 4;
  ++section_fields_;
  if (section_bytes_ > fields_bytes_max_)
    limit_hit_ = in_trailer_ ? limit::trailer_bytes : limit::header_bytes;
  else if (section_fields_ > fields_max_)
    limit_hit_ = in_trailer_ ? limit::trailer_fields : limit::header_fields;
  return limit_hit_ == limit::none;
}

void request_parser::on_field_impl(http::field field, string_view name, string_view value,
                                   error_code& ec) {
  if (!within_limits(name, value)) {
    ec = http::error::header_limit;
    return;
  }
  value = trimmed(value);
  if (!in_trailer_ && (field == http::field::connection || field == http::field::proxy_connection)
      && names_close(value))
    close_asked_ = true;
  auto& fields = in_trailer_ ? in_->req.trailers : in_->req.headers;
  // Room for a client's usual fields at once (curl sends 3, a browser 10 to 15): growing one
  // at a time from 1 took a browser's request through five allocations and four moves.
  if (fields.capacity() == 0)
    fields.reserve(fields_reserve);
  // Made in place: a pair made of two strings would copy each short one twice.
  fields.emplace_back(std::piecewise_construct, std::forward_as_tuple(name.data(), name.size()),
                      std::forward_as_tuple(value.data(), value.size()));
}

// What the header says about the connection, before any trailer field is parsed. Beast reads
// every Connection field as one list and Proxy-Connection as Connection, but lets an HTTP/1.0
// request's "keep-alive" win over its "close"; "close" anywhere closes (RFC 9112 9.3).
void request_parser::on_header_impl(error_code&) {
  in_trailer_ = true;
  section_bytes_ = 0;  // a trailer section has bounds of its own
  section_fields_ = 0;
  in_->req.keep_alive = keep_alive() && !close_asked_;
}

// Beast has checked a declared length against the body limit before this.
void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                       error_code&) {
  if (content_length)
    in_->req.body.reserve(
      static_cast<std::size_t>(std::min<std::uint64_t>(*content_length, body_reserve_max)));
}

std::size_t request_parser::on_body_impl(string_view body, error_code&) {
  in_->req.body.append(body.data(), body.size());
  return body.size();
}

void request_parser::on_chunk_header_impl(std::uint64_t size, string_view extensions,
                                          error_code& ec) {
  framing_(size, extensions, ec);
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  in_->req.body.append(body.data(), body.size());
  return body.size();
}

void request_parser::on_finish_impl(error_code&) {}

}  // namespace fastactor
