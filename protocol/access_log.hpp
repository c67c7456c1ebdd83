#pragma once
// The access log: one line per answered request (or refused connection) on stdout, when
// --access-log=1. The writer logs requests, the listener the connections it refuses; both
// write through here, so the format has one definition:
//
//   PEER "METHOD TARGET HTTP/1.x" STATUS BODY_BYTES DURATIONms [NOTE]
//   127.0.0.1:52814 "GET /hello HTTP/1.1" 200 2 0.052ms
//   127.0.0.1:52815 "-" 503 0 0.000ms over --max-connections=2
//
// DURATION runs from the read that brought the request's first byte (routed_request::arrived)
// to its last response byte, as nginx's $request_time: a slow upload and a pipelined request's
// wait behind the one before it are in it, the idle time before a keep-alive request is not.

#include <fastactor/status.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fastactor {

struct access_log_entry {
  std::string_view peer;  ///< "address:port"; empty: unknown
  std::string_view method;  ///< empty: no request was read (the request line is "-")
  std::string_view target;
  unsigned version = 11;  ///< 10, 11 or 20 (HTTP/2)
  status sent = status::ok;  ///< 499: the client left before the end
  std::uint64_t body_bytes = 0;
  std::chrono::microseconds duration{0};
  std::string_view note;  ///< appended after the duration, if any
};

/// Adds the entry's line to the log's buffer (lines of concurrent writers never mix), which
/// goes to stdout once it holds access_log_buffer_bytes, or when flush_access_log is called —
/// the server calls it every access_log_flush_interval, as nginx's `access_log ... buffer=
/// flush=` does: a write per line would cost a system call per request. Long methods and
/// targets are cut so that a line stays under 1 KiB.
void write_access_log(const access_log_entry& e);

/// Writes out (and flushes) what the buffer holds. Thread-safe.
void flush_access_log();

inline constexpr std::size_t access_log_buffer_bytes = 64 * 1024;
inline constexpr std::chrono::milliseconds access_log_flush_interval{100};

}  // namespace fastactor
