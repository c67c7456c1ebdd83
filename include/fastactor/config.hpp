#pragma once
// server_config: everything a fastactor server can be told. Every duration is in ms.
//
// Each option is declared once, as a row of FASTACTOR_SERVER_OPTIONS below:
//
//   X(type, field, "cli-name", default, check, "help")
//
// From the rows come the fields of server_config and their defaults (here), and in
// server/options.cpp the `--cli-name=` option, its --help line (the default is printed from
// the value), and the check with its error message. `check` is read there only:
//   in_range(min, max)  integers; bools are 0|1 on the command line (CAF 0.17 bool options
//                       crash clang builds), so they are in_range(0, 1) too. A bound may be an
//                       earlier row's value, written `cfg.field`.
//   a_thread_policy     "batch" or "normal"
//   a_tls_version       "1.2" or "1.3"
//   an_on_off           "on" or "off"
//   a_coding_list       comma-separated codings among gzip, br and zstd, each at most once
//   any_text            strings checked where they are used (worker-nodes and node-tls-* by
//                       parse_options)

#include <fastactor/compression.hpp>
#include <fastactor/malloc_trim.hpp>
#include <fastactor/thread_policy.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

// clang-format off
#define FASTACTOR_SERVER_OPTIONS(X)                                                             \
  X(std::string, host, "host", "127.0.0.1", any_text,                                           \
    "address to listen on")                                                                     \
  X(std::uint16_t, port, "port", 8080, in_range(0, 65535),                                      \
    "TCP port; 0 takes a free one")                                                             \
  X(std::size_t, io_threads, "io-threads", 1, in_range(1, 256),                                 \
    "threads running Asio, each with its own connections (handed out in turn)")                 \
  X(std::size_t, actor_threads, "actor-threads", 2, in_range(1, 256),                           \
    "CAF scheduler threads")                                                                    \
  X(fastactor::thread_policy, threads, "thread-policy", fastactor::thread_policy::batch,        \
    a_thread_policy,                                                                            \
    "batch: a woken thread does not preempt a running one, so threads hand messages over "      \
    "in batches; normal: the system's default")                                                 \
  X(std::size_t, malloc_trim_threshold, "malloc-trim-threshold", 8 * 1024 * 1024,             \
    in_range(0, fastactor::max_malloc_trim_threshold),                                         \
    "bytes of freed memory each malloc arena keeps for reuse before giving it back (glibc's "   \
    "M_TRIM_THRESHOLD; blocks of half of it or more get their own mapping); 0 = glibc's "        \
    "default. Process-wide; MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES override it")             \
  X(std::size_t, blocking_threads, "blocking-threads", 256, in_range(1, 4096),                  \
    "most threads for blocking tasks, started as tasks need them")                              \
  X(std::int64_t, blocking_idle_ms, "blocking-idle-ms", 10'000, in_range(0, 86'400'000),        \
    "a blocking-pool thread idle this long ends, all but one; 0 = never")                       \
  X(std::int64_t, request_timeout_ms, "request-timeout-ms", 60'000, in_range(0, 86'400'000),    \
    "a response (streaming included) not complete this many ms after its handler returned is "  \
    "ended; 0 = never")                                                                         \
  X(std::int64_t, sse_heartbeat_ms, "sse-heartbeat-ms", 15'000, in_range(0, 86'400'000),        \
    "an SSE stream idle this many ms gets a ': ping' comment; 0 = never")                       \
  X(std::size_t, stream_buffer, "stream-buffer", 256 * 1024, in_range(1024, 1ll << 32),         \
    "bytes queued per response before flow-controlled producers wait")                          \
  X(std::size_t, stream_buffer_max, "stream-buffer-max", 64 * 1024 * 1024,                      \
    in_range(cfg.stream_buffer, 1ll << 34),                                                     \
    "bytes queued per response before it fails")                                                \
  X(std::size_t, max_header_bytes, "max-header-bytes", 8 * 1024, in_range(256, 1 << 20),        \
    "largest request header block")                                                             \
  X(std::size_t, max_header_fields, "max-header-fields", 100, in_range(1, 10'000),             \
    "most fields in a request header (or trailer section)")                                     \
  X(std::size_t, max_body_bytes, "max-body-bytes", 1024 * 1024, in_range(0, 1ll << 32),         \
    "largest request body")                                                                     \
  X(std::int64_t, header_timeout_ms, "header-timeout-ms", 10'000, in_range(0, 86'400'000),      \
    "a request header not complete after this many ms gets 408")                                \
  X(std::int64_t, body_timeout_ms, "body-timeout-ms", 30'000, in_range(0, 86'400'000),          \
    "a request body not complete this many ms after its header gets 408; 0 = never")            \
  X(std::int64_t, send_timeout_ms, "send-timeout-ms", 30'000, in_range(0, 86'400'000),          \
    "a write to a client that makes no progress for this many ms ends the connection; "         \
    "0 = never")                                                                                \
  X(std::size_t, response_memory_max, "response-memory-max", 256 * 1024 * 1024,                 \
    in_range(cfg.stream_buffer_max, 1ll << 40),                                                 \
    "response bytes queued in the whole server before responses whose producers ignore "        \
    "flow control fail")                                                                        \
  X(std::int64_t, idle_timeout_ms, "idle-timeout-ms", 60'000, in_range(0, 86'400'000),          \
    "idle keep-alive connections are closed after this many ms")                                \
  X(std::size_t, max_connections, "max-connections", 20'000, in_range(1, 10'000'000),           \
    "connections beyond this get 503 with Retry-After")                                         \
  X(std::int64_t, drain_timeout_ms, "drain-timeout-ms", 5'000, in_range(0, 3'600'000),          \
    "on SIGTERM, running responses may finish for this many ms")                                \
  X(bool, access_log, "access-log", true, in_range(0, 1),                                       \
    "1: one line per request on stdout; 0: none")                                               \
  X(fastactor::compression_mode, compression, "compression", fastactor::compression_mode::on, \
    an_on_off,                                                                                  \
    "on: compress responses for clients that accept gzip, br or zstd; off: never")              \
  X(std::string, compress_prefer, "compress-prefer", "zstd,gzip,br", a_coding_list,             \
    "the codings the server offers, in its order of preference (among equal q-values); br "     \
    "comes last because within compress-memory-max it only reaches quality 1")                 \
  X(std::size_t, compress_min_bytes, "compress-min-bytes", 256, in_range(0, 1ll << 32),         \
    "a body complete before its first byte and smaller than this is not compressed")            \
  X(std::int64_t, gzip_level, "gzip-level", 4, in_range(1, 9), "gzip's level, 1-9")             \
  X(std::int64_t, br_level, "br-level", 4, in_range(0, 11),                                     \
    "Brotli's level, 0-11 (lowered to what fits compress-memory-max: 1 at 256 KiB)")            \
  X(std::int64_t, zstd_level, "zstd-level", 3, in_range(1, 19), "zstd's level, 1-19")           \
  X(std::size_t, compress_memory_max, "compress-memory-max", 256 * 1024,                        \
    in_range(16 * 1024, 1ll << 30),                                                             \
    "most bytes one response's compressor may hold (its window is sized to fit; counted in "    \
    "response-memory-max)")                                                                     \
  X(std::string, tls_cert, "tls-cert", "", any_text,                                           \
    "PEM certificate, optionally followed by its intermediates: serve HTTPS (with --tls-key)")  \
  X(std::string, tls_key, "tls-key", "", any_text,                                             \
    "PEM private key of --tls-cert")                                                            \
  X(std::string, tls_chain, "tls-chain", "", any_text,                                         \
    "PEM intermediates sent after the certificate (optional)")                                  \
  X(std::string, tls_min_version, "tls-min-version", "1.2", a_tls_version,                     \
    "the oldest TLS version accepted: 1.2 or 1.3")                                              \
  X(std::int64_t, tls_handshake_timeout_ms, "tls-handshake-timeout-ms", 10'000,                \
    in_range(1, 86'400'000), "a TLS handshake must complete within this many ms")               \
  X(std::int64_t, http2, "http2", 1, in_range(0, 1),                                           \
    "1: speak HTTP/2 too (ALPN h2 over TLS, prior knowledge on plain HTTP); 0: HTTP/1.1 only")  \
  X(std::size_t, h2_max_streams, "h2-max-streams", 100, in_range(1, 10'000),                    \
    "concurrent streams one HTTP/2 connection may open (SETTINGS_MAX_CONCURRENT_STREAMS)")      \
  X(std::string, worker_nodes, "worker-nodes", "", any_text,                                    \
    "remote worker nodes, HOST:PORT[,HOST:PORT...] (loads CAF's middleman)")                    \
  X(std::int64_t, node_heartbeat_ms, "node-heartbeat-ms", 200, in_range(1, 60'000),             \
    "heartbeat interval to worker nodes; must match theirs")                                    \
  X(std::int64_t, node_timeout_ms, "node-timeout-ms", 2000,                                     \
    in_range(cfg.node_heartbeat_ms, 600'000),                                                   \
    "a worker node silent this long is down; must match theirs")                                \
  X(std::int64_t, node_basp_workers, "node-basp-workers", -1, in_range(-1, 64),                 \
    "threads that deserialize what worker nodes send; 0: CAF's network thread itself; -1: "     \
    "automatic (0 below 4 cores, else CAF's default)")                                          \
  X(std::string, node_tls_cert, "node-tls-cert", "", any_text,                                  \
    "mutual TLS with the worker nodes: this server's certificate (PEM); needs --node-tls-key "  \
    "and --node-tls-ca too. Without all three the node link is plain TCP")                      \
  X(std::string, node_tls_key, "node-tls-key", "", any_text,                                    \
    "the private key of --node-tls-cert (PEM, not encrypted)")                                  \
  X(std::string, node_tls_ca, "node-tls-ca", "", any_text,                                      \
    "the CA (PEM) that must have signed every worker node's certificate")
// clang-format on

namespace fastactor {

/// Everything a server can be told: one field per row of FASTACTOR_SERVER_OPTIONS above (its
/// default, its check, its help), plus `server_name`. Every duration is in ms.
struct server_config {
#define FASTACTOR_DECLARE_FIELD(type, field, name, default_value, check, help)                     \
  type field = default_value;
  FASTACTOR_SERVER_OPTIONS(FASTACTOR_DECLARE_FIELD)
#undef FASTACTOR_DECLARE_FIELD

  /// The `Server` header. Not a command-line option: programs set it.
  std::string server_name = "fastactor";
};

/// True if a server with `cfg` speaks HTTPS (it has a certificate and key).
inline bool serves_https(const server_config& cfg) {
  return !cfg.tls_cert.empty();
}

}  // namespace fastactor
