#pragma once
// The counters of a server, readable from any thread. Gauges return to zero when the
// server is idle; tests and the /metrics route (<fastactor/metrics.hpp>) read them.
//
// (*) The counters every request moves (requests_total, responses_by_status, request_duration,
// active_streams, stream_bytes_total, coalesced_responses_total, small_reads_total) are kept
// per thread, without a locked instruction per request, and summed into this struct by each
// call of server::stats() or context::stats(), from any thread: a reference kept shows them as
// of the latest such call, while the other fields are always current. Call stats() again to
// read them anew (server::wait_for does, each time it looks); each call sums ~620 counters per
// I/O thread, which is nothing for a scrape and too much for every request.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace fastactor {

/// Request durations, as a Prometheus histogram (cumulative buckets are made when rendered).
struct duration_histogram {
  /// Upper bounds of the buckets, in ms.
  static constexpr std::array<double, 12> bounds_ms{1,   5,   10,   25,   50,   100,
                                                    250, 500, 1000, 2500, 5000, 10000};
  std::array<std::atomic<std::uint64_t>, bounds_ms.size() + 1> buckets{};  ///< last: +Inf
  std::atomic<std::uint64_t> sum_us{0};  ///< of every recorded duration, in µs
  std::atomic<std::uint64_t> count{0};  ///< of recorded durations

  /// The bucket of a duration of `us` microseconds: the first whose bound it does not pass
  /// (bounds are inclusive, as Prometheus' `le`), or the last (+Inf).
  static std::size_t bucket_of(std::int64_t us) {
    std::size_t i = 0;
    while (i < bounds_ms.size() && static_cast<double>(us) > bounds_ms[i] * 1000)
      ++i;
    return i;
  }

  /// Counts one request that took `d`. (The server's own requests are counted per thread
  /// and summed into this histogram by server::stats(); see the note at the top.)
  void record(std::chrono::steady_clock::duration d) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    buckets[bucket_of(us)].fetch_add(1, std::memory_order_relaxed);
    sum_us.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
  }
};

/// A server's counters (server::stats(), context::stats(), the /metrics route). Gauges are
/// `std::int64_t`, counters (`_total`) only grow.
struct server_stats {
  std::atomic<std::int64_t> live_connections{0};  ///< sessions with an open socket
  std::atomic<std::int64_t> live_writers{0};  ///< response-writer actors alive
  std::atomic<std::int64_t> active_streams{0};  ///< request scopes being answered (per thread*)
  std::atomic<std::int64_t> live_workers{0};  ///< worker actors alive (all requests)
  std::atomic<std::int64_t> running_tasks{0};  ///< blocking tasks queued or running

  std::atomic<std::uint64_t> requests_total{0};  ///< requests read and routed (per thread*)
  /// Answered requests by status code (index = code); 499: the client left before the end.
  /// (Per thread*.)
  std::array<std::atomic<std::uint64_t>, 600> responses_by_status{};
  std::atomic<std::uint64_t> client_disconnects_total{0};  ///< clients gone mid-response
  std::atomic<std::uint64_t> worker_errors_total{0};  ///< errors recorded, all responses
  std::atomic<std::uint64_t> stale_messages_total{0};  ///< late messages of ended requests
  std::atomic<std::uint64_t> stream_bytes_total{0};  ///< body bytes written (per thread*)
  std::atomic<std::uint64_t> deadlines_total{0};  ///< requests ended by their deadline
  std::atomic<std::uint64_t> backpressure_waits_total{0};  ///< acks held back: a producer paused
  std::atomic<std::uint64_t> connections_rejected_total{0};  ///< over max-connections
  /// Control messages the writer refused: from a sender that does not own them (a worker
  /// forging the session's messages, a `done` from no registered task).
  std::atomic<std::uint64_t> forged_messages_total{0};
  /// Messages the writer has no use for, dropped without a word: ill-typed ones, and errors
  /// (a producer's or worker's bounce of what the writer sent it, the failure of a handler's
  /// own request made without an error handler). CAF's default would print the first and end
  /// the writer, with its connection, on the second.
  std::atomic<std::uint64_t> unexpected_messages_total{0};
  std::atomic<std::uint64_t> send_timeouts_total{0};  ///< connections ended by --send-timeout-ms
  /// HTTP/1.1 responses to pipelined requests held back to go out in one write with the
  /// responses after them (at most 16 responses or 64 KiB in one write). (Per thread*.)
  std::atomic<std::uint64_t> coalesced_responses_total{0};
  /// HTTP/1.1 reads into the block a plain keep-alive connection waits with between requests
  /// (256 bytes, 1 KiB, or 4 KiB for a client that pipelines; docs/design-notes.md, "Between
  /// requests, a small read instead of a wait") that did not fill it: the next request (or
  /// pipelined batch) taken whole, or the start of one that came in pieces. (Per thread*.)
  std::atomic<std::uint64_t> small_reads_total{0};
  /// HTTP/1.1 requests whose memory was kept, cleared, to carry their connection's next,
  /// pipelined request (docs/design-notes.md, "A request's allocations"). (Per thread*.)
  std::atomic<std::uint64_t> reused_requests_total{0};
  /// TLS (an HTTPS server only): handshakes completed, and connections that ended before
  /// theirs did, by reason.
  struct tls_counters {
    std::atomic<std::uint64_t> handshakes_total{0};  ///< completed handshakes
    std::atomic<std::uint64_t> timeouts_total{0};  ///< not done in --tls-handshake-timeout-ms
    /// Plain HTTP on the HTTPS port, answered with a plaintext 400.
    std::atomic<std::uint64_t> plain_http_total{0};
    /// Refused by OpenSSL: not TLS, an old version, no common cipher or protocol, a
    /// malformed or truncated record.
    std::atomic<std::uint64_t> errors_total{0};
    std::atomic<std::uint64_t> client_gone_total{0};  ///< the client closed mid-handshake
    std::atomic<std::uint64_t> reloads_total{0};  ///< certificate reloads that took effect
    std::atomic<std::uint64_t> reload_failures_total{0};  ///< reloads refused (old pair kept)
  };
  tls_counters tls;  ///< all zero without TLS
  /// Compression (--compression): responses by coding, and the bytes in and out.
  struct compression_counters {
    std::atomic<std::uint64_t> gzip_total{0};  ///< responses sent gzip-coded
    std::atomic<std::uint64_t> br_total{0};  ///< responses sent br-coded
    std::atomic<std::uint64_t> zstd_total{0};  ///< responses sent zstd-coded
    std::atomic<std::uint64_t> input_bytes_total{0};  ///< body bytes before compression
    std::atomic<std::uint64_t> output_bytes_total{0};  ///< and after
    /// Compressors that could not be made or failed (memory): the response went out
    /// uncompressed, or, failing mid-stream, was cut off.
    std::atomic<std::uint64_t> failures_total{0};
    /// Bytes the live compressors hold. A gauge of its own: with the queued bytes it decides
    /// whether a new compressor is made (--response-memory-max), but it never makes another
    /// response fail, as queued bytes over the budget do.
    std::atomic<std::int64_t> memory_bytes{0};
  };
  compression_counters compression;  ///< all zero with --compression=off
  /// HTTP/2 (--http2): connections, streams, resets and GOAWAYs.
  struct http2_counters {
    std::atomic<std::uint64_t> connections_total{0};  ///< connections that spoke HTTP/2
    std::atomic<std::uint64_t> streams_total{0};  ///< requests read on HTTP/2 streams
    /// Streams the client reset (RST_STREAM) before their response ended: their requests
    /// ended, their workers were stopped.
    std::atomic<std::uint64_t> client_resets_total{0};
    /// Streams the server reset: a response cut off after its first byte (deadline, buffer
    /// cap), the connection's other streams going on.
    std::atomic<std::uint64_t> server_resets_total{0};
    std::atomic<std::uint64_t> goaways_total{0};  ///< GOAWAY frames sent (any reason)
    /// Streams whose request was not complete within --body-timeout-ms of its HEADERS: 408.
    std::atomic<std::uint64_t> read_timeouts_total{0};
    /// Connections ended for a protocol error of the client's (a bad preface, a flood, a
    /// malformed frame), with GOAWAY where the protocol allows one.
    std::atomic<std::uint64_t> protocol_errors_total{0};
  };
  http2_counters http2;  ///< all zero with --http2=0
  std::atomic<std::int64_t> queued_response_bytes{0};  ///< response bytes held, all responses
  duration_histogram request_duration;  ///< from its first byte read to its last byte (per thread*)
};

}  // namespace fastactor
