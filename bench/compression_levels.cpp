// compression_levels: what each coding and level costs and gains on streamed output, used as
// the server uses it: NDJSON lines and SSE events gathered into writes of about 1 KiB or
// 16 KiB, each write flushed.
//
//   build/bin/compression_levels [--mib=32] [--cap=262144] [--coding=gzip|br|zstd]
//   build/bin/compression_levels --brotli-peaks
//
// Prints, per coding, level, corpus and write size: the ratio (input / output), the CPU time
// per MB of input (CLOCK_PROCESS_CPUTIME_ID, compression only) and the encoder's peak memory
// under the cap. --brotli-peaks measures the peak memory of Brotli per (quality, lgwin)
// instead: the table in protocol/coding_parameters.cpp.

#include "event_log.hpp"
#include "protocol/coding_parameters.hpp"
#include "protocol/content_encoder.hpp"
#include "protocol/counted_encoder.hpp"

#include <brotli/encode.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace fastactor;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

const char* const symbols[] = {"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "META", "IBM"};

using bench::event_log::ndjson_line;
using bench::event_log::pick;

std::string sse_event(long n, std::mt19937& rng) {
  char ev[512];
  std::snprintf(ev, sizeof(ev),
                "id: %ld\nevent: quote\ndata: {\"symbol\":\"%s\",\"price\":%u.%02u,"
                "\"change\":%d.%02u,\"volume\":%u,\"ts\":%lld}\n\n",
                n, pick(symbols, rng), static_cast<unsigned>(rng() % 900 + 100),
                static_cast<unsigned>(rng() % 100), static_cast<int>(rng() % 21) - 10,
                static_cast<unsigned>(rng() % 100), static_cast<unsigned>(rng() % 100000),
                1700000000000LL + n * 250);
  return ev;
}

// `total` bytes of lines gathered into writes of at least `write_size` bytes each.
std::vector<std::string> writes_of(bool sse, std::size_t total, std::size_t write_size) {
  std::mt19937 rng(42);
  std::vector<std::string> writes;
  std::string w;
  std::size_t size = 0;
  for (long n = 0; size < total; ++n) {
    w += sse ? sse_event(n, rng) : ndjson_line(n, rng);
    if (w.size() >= write_size) {
      size += w.size();
      writes.push_back(std::move(w));
      w.clear();
    }
  }
  return writes;
}

struct result {
  double ratio, cpu_us_per_mb;
  std::size_t peak;
};

bool measure(content_coding coding, int level, std::size_t cap,
             const std::vector<std::string>& writes, result& r) {
  auto encoder = content_encoder::make(coding, {level, cap}, nullptr);
  if (!encoder)
    return false;
  std::string out;
  std::size_t in = 0, compressed = 0;
  double start = cpu_seconds();
  for (auto& w : writes) {
    if (!encoder->encode(&w, 1, false, out))
      return false;
    in += w.size();
    compressed += out.size();
    out.clear();  // sent: the server reuses its buffer
  }
  if (!encoder->encode(nullptr, 0, true, out))
    return false;
  compressed += out.size();
  double seconds = cpu_seconds() - start;
  r.ratio = static_cast<double>(in) / static_cast<double>(compressed);
  r.cpu_us_per_mb = seconds * 1e6 / (static_cast<double>(in) / 1e6);
  r.peak = dynamic_cast<counted_encoder&>(*encoder).peak_memory();
  return true;
}

std::string parameters(content_coding coding, int level, std::size_t cap) {
  char s[64] = "-";
  if (coding == content_coding::gzip) {
    if (auto p = gzip_parameters_for(cap))
      std::snprintf(s, sizeof(s), "wbits %d mem %d", p->window_bits, p->mem_level);
  } else if (coding == content_coding::zstd) {
    if (auto p = zstd_parameters_for(level, cap))
      std::snprintf(s, sizeof(s), "wlog %d clog %d hlog %d", p->window_log, p->chain_log,
                    p->hash_log);
  } else if (auto p = brotli_parameters_for(level, cap)) {
    std::snprintf(s, sizeof(s), "q %d lgwin %d", p->quality, p->lgwin);
  }
  return s;
}

// --- --brotli-peaks: Brotli's own allocations, counted as counted_encoder counts them ---

struct counter {
  std::size_t held = 0, peak = 0;
};

void* counting_alloc(void* opaque, std::size_t size) {
  auto* c = static_cast<counter*>(opaque);
  auto* base = static_cast<unsigned char*>(std::malloc(size + 16));
  std::size_t total = size + 16;
  std::memcpy(base, &total, sizeof(total));
  c->held += total;
  c->peak = std::max(c->peak, c->held);
  return base + 16;
}

void counting_free(void* opaque, void* block) {
  if (!block)
    return;
  auto* base = static_cast<unsigned char*>(block) - 16;
  std::size_t total;
  std::memcpy(&total, base, sizeof(total));
  static_cast<counter*>(opaque)->held -= total;
  std::free(base);
}

// The peak of one Brotli instance over `data` in flushed writes of `write_size`, its output
// buffer holding 2 << lgwin bytes as brotli_encoder's does for its largest blocks.
std::size_t brotli_peak(int quality, int lgwin, const std::string& data, std::size_t write_size) {
  counter c;
  BrotliEncoderState* s = BrotliEncoderCreateInstance(counting_alloc, counting_free, &c);
  BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, quality);
  BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, lgwin);
  std::string out((std::size_t{2} << lgwin) + 1024, '\0');
  for (std::size_t off = 0; off < data.size(); off += write_size) {
    std::size_t avail_in = std::min(write_size, data.size() - off);
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(data.data() + off);
    auto op = off + write_size >= data.size() ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_FLUSH;
    do {
      std::size_t avail_out = out.size();
      auto* next_out = reinterpret_cast<std::uint8_t*>(out.data());
      BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    } while (avail_in > 0 || BrotliEncoderHasMoreOutput(s));
  }
  BrotliEncoderDestroyInstance(s);
  return c.peak;
}

// NDJSON, SSE and 1/8 random bytes, interleaved.
std::string brotli_corpus(std::size_t total) {
  std::mt19937 rng(7);
  std::string data;
  for (long n = 0; data.size() < total; ++n) {
    data += n % 2 ? ndjson_line(n, rng) : sse_event(n, rng);
    if (n % 64 == 0)
      for (int i = 0; i < 4096; ++i)
        data += static_cast<char>(rng());
  }
  return data;
}

void brotli_peaks() {
  const int lgwins[] = {10, 12, 14, 15, 16, 17, 18, 20, 22};
  std::string data = brotli_corpus(2 << 20);
  std::printf("Brotli peak KiB (max over writes of 1, 16, 256 KiB and all), quality x lgwin\nq  ");
  for (int lgwin : lgwins)
    std::printf(" %6d", lgwin);
  std::printf("\n");
  for (int q = 0; q <= 11; ++q) {
    std::string input = q >= 10 ? data.substr(0, 384 << 10) : data;
    std::printf("%-3d", q);
    for (int lgwin : lgwins) {
      std::size_t peak = 0;
      for (std::size_t write_size :
           {std::size_t{1024}, std::size_t{16384}, std::size_t{262144}, input.size()})
        peak = std::max(peak, brotli_peak(q, lgwin, input, write_size));
      std::printf(" %6zu", (peak + 1023) / 1024);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 32, cap = 256 * 1024;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--brotli-peaks") {
      brotli_peaks();
      return 0;
    }
    if (arg.substr(0, 6) == "--mib=")
      mib = std::strtoul(argv[i] + 6, nullptr, 10);
    else if (arg.substr(0, 6) == "--cap=")
      cap = std::strtoul(argv[i] + 6, nullptr, 10);
    else if (arg.substr(0, 9) == "--coding=")
      only = std::string{arg.substr(9)};
    else {
      std::fprintf(stderr,
                   "usage: %s [--mib=32] [--cap=262144] [--coding=gzip|br|zstd] | "
                   "--brotli-peaks\n",
                   argv[0]);
      return 2;
    }
  }
  struct corpus {
    const char* name;
    std::size_t write_size;
    std::vector<std::string> writes;
  };
  std::vector<corpus> corpora;
  for (bool sse : {false, true})
    for (std::size_t write_size : {1024u, 16384u})
      corpora.push_back(
        {sse ? "sse" : "ndjson", write_size, writes_of(sse, mib << 20, write_size)});

  std::printf("cap %zu bytes, %zu MiB per corpus; ratio, CPU us per MB, peak KiB\n", cap, mib);
  std::printf("%-5s %-3s %-24s", "code", "lvl", "parameters");
  for (auto& c : corpora)
    std::printf(" | %6s %2zuK: ratio us/MB  KiB", c.name, c.write_size / 1024);
  std::printf("\n");
  struct range {
    content_coding coding;
    int low, high;
  };
  for (auto [coding, low, high] :
       {range{content_coding::gzip, 1, 9}, range{content_coding::br, 0, 11},
        range{content_coding::zstd, 1, 19}}) {
    if (!only.empty() && only != token_of(coding))
      continue;
    for (int level = low; level <= high; ++level) {
      std::printf("%-5s %-3d %-24s", std::string{token_of(coding)}.c_str(), level,
                  parameters(coding, level, cap).c_str());
      for (auto& c : corpora) {
        result r{};
        if (measure(coding, level, cap, c.writes, r))
          std::printf(" | %20.2f %6.0f %4zu", r.ratio, r.cpu_us_per_mb, (r.peak + 1023) / 1024);
        else
          std::printf(" | %20s %6s %4s", "failed", "-", "-");
        std::fflush(stdout);
      }
      std::printf("\n");
    }
  }
}
