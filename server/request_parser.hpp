#pragma once
// request_parser: Beast's HTTP/1 parser writing straight into the request a handler will see.
// Beast's own `http::parser` stores the fields in its `basic_fields` (a block and a
// case-insensitive tree insert per field) and the server then copied each one out into
// `request::headers`: ~500 instructions of a pipelined /hello's ~6,700 went to the two
// copies (callgrind). Here Beast's `basic_parser` does the parsing and its framing checks
// (Content-Length against Transfer-Encoding, chunk sizes, the header and body limits), and each
// field is copied once, into the request, as it is parsed.

#include <fastactor/handler.hpp>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <memory>

namespace fastactor {

/// Bounds the framing a chunked body may carry beside its data (chunk-size lines, chunk
/// extensions), as Go does since CVE-2023-39326: each chunk may cost its line plus 16 bytes
/// and twice its size in overhead; past `overhead_max` bytes of excess the body is refused.
/// Without it a client could send 1-byte chunks with 60 KiB extensions: the body limit
/// counts only data. (Leading zeros of a chunk size are not seen here; the body deadline
/// bounds those.)
class chunk_framing_budget {
public:
  static constexpr std::size_t overhead_max = 16 * 1024;

  void operator()(std::uint64_t size, boost::beast::string_view extensions,
                  boost::beast::error_code& ec);
  bool exceeded() const { return exceeded_; }

private:
  std::uint64_t excess_ = 0;
  bool exceeded_ = false;
};

/// Parses one HTTP/1 request into a routed_request (not yet routed: see route()). Fields
/// parsed after the header, i.e. a chunked body's trailer, go to `request::trailers`, never
/// to `headers`; `request::keep_alive` is what the header's Connection fields say. It reads
/// one request: make a new one for the next (Beast's parser cannot be reset).
class request_parser : public boost::beast::http::basic_parser<true> {
public:
  /// `reuse_from`: where the connection keeps a request whose response is done, cleared for
  /// the next (clear_for_reuse), if any. When the request line is in, one found there is taken
  /// and carries the request parsed here, so its memory is not made again. Taken only then:
  /// until a request begins, the connection alone holds it (and may drop it).
  explicit request_parser(std::shared_ptr<routed_request>* reuse_from = nullptr)
    : reuse_from_(reuse_from) {}

  /// The request parsed so far: null until its request line is in. Call once.
  std::shared_ptr<routed_request> release() { return std::move(in_); }
  const request* get() const { return in_ ? &in_->req : nullptr; }

  /// True once a chunked body's framing passed chunk_framing_budget: the parse error it
  /// caused (bad_chunk_extension) then means "too much framing".
  bool framing_exceeded() const { return framing_.exceeded(); }

  /// Bounds the header (its request line and fields) and, separately, a chunked body's
  /// trailer section: at most `bytes` (name + value + 4 per field, as header_size counts; the
  /// whitespace Beast trims around values is not counted, nor kept) and `fields` fields each. Past
  /// either the parse fails with `header_limit` and limit_hit() says which. Beast's own header
  /// limit cannot do this: it applies to each `put`, and the session consumes the fields a `put`
  /// parsed, so a header sent a few fields per segment would never reach it.
  void limit_fields(std::size_t bytes, std::size_t fields) {
    fields_bytes_max_ = bytes;
    fields_max_ = fields;
  }
  /// Which of limit_fields' bounds a section passed.
  enum class limit { none, header_bytes, header_fields, trailer_bytes, trailer_fields };
  limit limit_hit() const { return limit_hit_; }

  /// The most a declared Content-Length makes room for before the body arrives: a client
  /// that declares a megabyte and sends nothing must not cost a megabyte.
  static constexpr std::size_t body_reserve_max = 64 * 1024;

private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}  // a request parser
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  bool within_limits(string_view name, string_view value);
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  std::shared_ptr<routed_request> in_;  ///< made (or taken) when the request line is in
  std::shared_ptr<routed_request>* reuse_from_;
  chunk_framing_budget framing_;
  /// The fields a request's first field makes room for.
  static constexpr std::size_t fields_reserve = 8;
  bool in_trailer_ = false;  ///< the header is done: fields now are the trailer's
  std::size_t fields_bytes_max_ = static_cast<std::size_t>(-1);  ///< see limit_fields
  std::size_t fields_max_ = static_cast<std::size_t>(-1);
  std::size_t section_bytes_ = 0;  ///< the header's (or trailer's) size so far: limit_fields
  std::size_t section_fields_ = 0;
  limit limit_hit_ = limit::none;
  bool close_asked_ = false;  ///< a Connection field of the header names "close"
};

}  // namespace fastactor
