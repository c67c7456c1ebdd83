#pragma once
// The access log: one line per answered request (or refused connection) on stdout, when
// --access-log=1. The writer logs requests, the listener the connections it refuses; both
// write through here, so the format has one definition:
//
//   PEER "METHOD TARGET HTTP/1.x" STATUS BODY_BYTES DURATIONms [NOTE]
//   127.0.0.1:52814 "GET /hello HTTP/1.1" 200 2 0.052ms
//   127.0.0.1:52815 "-" 503 0 0.000ms over --max-connections=2

#include <fastactor/status.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace fastactor {

struct access_log_entry {
  std::string_view peer;  ///< "address:port"; empty: unknown
  std::string_view method;  ///< empty: no request was read (the request line is "-")
  std::string_view target;
  unsigned version = 11;  ///< 10 or 11
  status sent = status::ok;  ///< 499: the client left before the end
  std::uint64_t body_bytes = 0;
  std::chrono::microseconds duration{0};
  std::string_view note;  ///< appended after the duration, if any
};

/// Writes the entry's line to stdout in one fwrite (lines of concurrent writers never mix).
/// Long methods and targets are cut so that a line stays under 1 KiB.
void write_access_log(const access_log_entry& e);

}  // namespace fastactor
