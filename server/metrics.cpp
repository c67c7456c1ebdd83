#include <fastactor/metrics.hpp>

#include <fastactor/context.hpp>

#include <cstdio>

namespace fastactor {

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

template <class Atomic>
void sample(std::string& out, const char* name, const Atomic& value, const char* labels = "") {
  out += name;
  out += labels;
  out += ' ';
  out += std::to_string(value.load(std::memory_order_relaxed));
  out += '\n';
}

template <class Atomic>
void metric(std::string& out, const char* name, const char* type, const char* help,
            const Atomic& value) {
  family(out, name, type, help);
  sample(out, name, value);
}

// Failed handshakes as one family with a reason label, so that a dashboard can sum them.
void tls_metrics(std::string& out, const server_stats::tls_counters& t) {
  metric(out, "fastactor_tls_handshakes_total", "counter", "TLS handshakes completed.",
         t.handshakes_total);
  const char* failures = "fastactor_tls_handshake_failures_total";
  family(out, failures, "counter", "Connections that ended before their TLS handshake did.");
  sample(out, failures, t.timeouts_total, "{reason=\"timeout\"}");
  sample(out, failures, t.plain_http_total, "{reason=\"plain_http\"}");
  sample(out, failures, t.errors_total, "{reason=\"protocol\"}");
  sample(out, failures, t.client_gone_total, "{reason=\"client_gone\"}");
  metric(out, "fastactor_tls_reloads_total", "counter", "Certificate reloads that took effect.",
         t.reloads_total);
  metric(out, "fastactor_tls_reload_failures_total", "counter",
         "Certificate reloads refused (the old pair stays).", t.reload_failures_total);
}

void compression_metrics(std::string& out, const server_stats::compression_counters& c) {
  family(out, "fastactor_compressed_responses_total", "counter",
         "Responses sent with a content coding, by coding.");
  sample(out, "fastactor_compressed_responses_total", c.gzip_total, "{coding=\"gzip\"}");
  sample(out, "fastactor_compressed_responses_total", c.br_total, "{coding=\"br\"}");
  sample(out, "fastactor_compressed_responses_total", c.zstd_total, "{coding=\"zstd\"}");
  metric(out, "fastactor_compression_input_bytes_total", "counter",
         "Body bytes given to compressors.", c.input_bytes_total);
  metric(out, "fastactor_compression_output_bytes_total", "counter",
         "Body bytes compressors made of them.", c.output_bytes_total);
  metric(out, "fastactor_compression_failures_total", "counter",
         "Compressors that could not be made or failed (their memory cap).", c.failures_total);
  metric(out, "fastactor_compression_memory_bytes", "gauge", "Bytes the live compressors hold.",
         c.memory_bytes);
}

void http2_metrics(std::string& out, const server_stats::http2_counters& h) {
  metric(out, "fastactor_http2_connections_total", "counter", "Connections that spoke HTTP/2.",
         h.connections_total);
  metric(out, "fastactor_http2_streams_total", "counter", "Requests read on HTTP/2 streams.",
         h.streams_total);
  const char* resets = "fastactor_http2_stream_resets_total";
  family(out, resets, "counter", "HTTP/2 streams reset before their response ended, by side.");
  sample(out, resets, h.client_resets_total, "{by=\"client\"}");
  sample(out, resets, h.server_resets_total, "{by=\"server\"}");
  metric(out, "fastactor_http2_goaways_total", "counter", "GOAWAY frames sent.", h.goaways_total);
  metric(out, "fastactor_http2_read_timeouts_total", "counter",
         "HTTP/2 requests not complete within --body-timeout-ms of their HEADERS (408).",
         h.read_timeouts_total);
  metric(out, "fastactor_http2_protocol_errors_total", "counter",
         "HTTP/2 connections ended for a protocol error of the client's.", h.protocol_errors_total);
}

void histogram(std::string& out, const duration_histogram& h) {
  const char* name = "fastactor_request_duration_seconds";
  family(out, name, "histogram", "Time from a request's arrival to its last byte.");
  std::uint64_t cumulative = 0;
  char label[64];
  for (std::size_t i = 0; i <= h.bounds_ms.size(); ++i) {
    cumulative += h.buckets[i].load(std::memory_order_relaxed);
    if (i < h.bounds_ms.size())
      std::snprintf(label, sizeof(label), "{le=\"%g\"}", h.bounds_ms[i] / 1000.0);
    else
      std::snprintf(label, sizeof(label), "{le=\"+Inf\"}");
    out += name;
    out += "_bucket";
    out += label;
    out += ' ';
    out += std::to_string(cumulative);
    out += '\n';
  }
  char sum[64];
  std::snprintf(sum, sizeof(sum), "%.6f", h.sum_us.load(std::memory_order_relaxed) / 1e6);
  out += name;
  out += "_sum ";
  out += sum;
  out += '\n';
  out += name;
  out += "_count ";
  out += std::to_string(h.count.load(std::memory_order_relaxed));
  out += '\n';
}

}  // namespace

std::string prometheus_text(const server_stats& s) {
  std::string out;
  out.reserve(4096);
  family(out, "fastactor_requests_total", "counter",
         "Requests answered, by status code (499: the client left before the end).");
  char labels[32];
  for (std::size_t code = 0; code < s.responses_by_status.size(); ++code) {
    if (s.responses_by_status[code].load(std::memory_order_relaxed) == 0)
      continue;
    std::snprintf(labels, sizeof(labels), "{code=\"%zu\"}", code);
    sample(out, "fastactor_requests_total", s.responses_by_status[code], labels);
  }
  metric(out, "fastactor_active_streams", "gauge", "Responses being produced.", s.active_streams);
  metric(out, "fastactor_live_workers", "gauge", "Worker actors alive.", s.live_workers);
  metric(out, "fastactor_running_tasks", "gauge", "Blocking tasks queued or running.",
         s.running_tasks);
  metric(out, "fastactor_live_connections", "gauge", "Open client connections.",
         s.live_connections);
  metric(out, "fastactor_stream_bytes_total", "counter", "Response body bytes written.",
         s.stream_bytes_total);
  metric(out, "fastactor_client_disconnects_total", "counter",
         "Clients that left while their response was produced.", s.client_disconnects_total);
  metric(out, "fastactor_worker_errors_total", "counter", "Errors reported for responses.",
         s.worker_errors_total);
  metric(out, "fastactor_backpressure_waits_total", "counter",
         "Flow-controlled writes whose acknowledgement waited for a slow client.",
         s.backpressure_waits_total);
  metric(out, "fastactor_stale_messages_total", "counter",
         "Late producer messages of ended requests, dropped.", s.stale_messages_total);
  metric(out, "fastactor_deadlines_total", "counter", "Requests ended by their deadline.",
         s.deadlines_total);
  metric(out, "fastactor_connections_rejected_total", "counter",
         "Connections refused over max-connections.", s.connections_rejected_total);
  metric(out, "fastactor_forged_messages_total", "counter",
         "Control messages dropped because their sender does not own them.",
         s.forged_messages_total);
  metric(out, "fastactor_unexpected_messages_total", "counter",
         "Messages the writer has no use for (ill-typed ones, errors sent to it), dropped.",
         s.unexpected_messages_total);
  metric(out, "fastactor_send_timeouts_total", "counter",
         "Connections ended because a write made no progress for send-timeout-ms.",
         s.send_timeouts_total);
  metric(out, "fastactor_coalesced_responses_total", "counter",
         "HTTP/1.1 responses to pipelined requests sent in one write with the ones after them.",
         s.coalesced_responses_total);
  metric(out, "fastactor_small_reads_total", "counter",
         "HTTP/1.1 reads into the block a keep-alive connection waits with that did not fill it.",
         s.small_reads_total);
  metric(out, "fastactor_reused_requests_total", "counter",
         "HTTP/1.1 requests whose memory carried their connection's next, pipelined request.",
         s.reused_requests_total);
  tls_metrics(out, s.tls);
  http2_metrics(out, s.http2);
  compression_metrics(out, s.compression);
  metric(out, "fastactor_queued_response_bytes", "gauge",
         "Response bytes held by the server (queued or being written), all responses.",
         s.queued_response_bytes);
  histogram(out, s.request_duration);
  return out;
}

handler metrics_handler() {
  return [](context& ctx) {
    ctx.set_content_type("text/plain; version=0.0.4; charset=utf-8");
    ctx.write(prometheus_text(ctx.stats()));
  };
}

}  // namespace fastactor
