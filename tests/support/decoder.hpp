#pragma once
// Incremental decoders for the content codings the server sends (gzip, br, zstd), built on
// the reference libraries (zlib, Brotli's decoder, zstd): a test feeds them the body as it
// arrives and sees what a browser would have been able to show by then.

#include <memory>
#include <string>
#include <string_view>

namespace testing {

class body_decoder {
public:
  /// For a Content-Encoding token: "gzip", "br" or "zstd" (anything else throws).
  explicit body_decoder(const std::string& coding);
  ~body_decoder();
  body_decoder(const body_decoder&) = delete;
  body_decoder& operator=(const body_decoder&) = delete;

  /// Decodes `bytes` (the next part of the coded body): returns all output they made
  /// available. Sets failed() on corrupt input.
  std::string feed(std::string_view bytes);
  /// The coded stream's end marker was seen.
  bool finished() const;
  /// The input was not a valid stream of this coding.
  bool failed() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// Decodes a whole coded body; throws std::runtime_error if it is corrupt or incomplete.
std::string decode_body(const std::string& coding, std::string_view body);

}  // namespace testing
