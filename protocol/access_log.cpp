#include "protocol/access_log.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>

namespace fastactor {

namespace {

constexpr int field_max = 300;  ///< bytes of a method or target in a line

int clip(std::string_view s) {
  return static_cast<int>(std::min<std::size_t>(s.size(), field_max));
}

/// The lines not yet written, shared by every thread that logs.
struct log_buffer {
  std::mutex mutex;
  std::string pending;

  /// With `mutex` held.
  void write_out() {
    if (pending.empty())
      return;
    std::fwrite(pending.data(), 1, pending.size(), stdout);
    std::fflush(stdout);
    pending.clear();
  }
};

log_buffer& buffer() {
  static log_buffer instance;  // never destroyed before the last logger: see flush_access_log
  return instance;
}

}  // namespace

void write_access_log(const access_log_entry& e) {
  char line[1024];
  auto us = e.duration.count();
  auto peer = e.peer.empty() ? std::string_view{"-"} : e.peer;
  int n;
  if (e.method.empty())
    n =
      std::snprintf(line, sizeof(line), "%.*s \"-\" %u %llu %lld.%03lldms", clip(peer), peer.data(),
                    unsigned{code(e.sent)}, static_cast<unsigned long long>(e.body_bytes),
                    static_cast<long long>(us / 1000), static_cast<long long>(us % 1000));
  else
    n = std::snprintf(line, sizeof(line), "%.*s \"%.*s %.*s HTTP/1.%u\" %u %llu %lld.%03lldms",
                      clip(peer), peer.data(), clip(e.method), e.method.data(), clip(e.target),
                      e.target.data(), e.version % 10, unsigned{code(e.sent)},
                      static_cast<unsigned long long>(e.body_bytes),
                      static_cast<long long>(us / 1000), static_cast<long long>(us % 1000));
  auto len = std::min<std::size_t>(static_cast<std::size_t>(std::max(n, 0)), sizeof(line) - 2);
  if (!e.note.empty()) {
    auto room = sizeof(line) - 2 - len;
    auto note = std::min<std::size_t>(e.note.size() + 1, room);
    if (note > 0) {
      line[len] = ' ';
      std::copy_n(e.note.data(), note - 1, line + len + 1);
      len += note;
    }
  }
  line[len++] = '\n';
  auto& log = buffer();
  std::lock_guard<std::mutex> guard{log.mutex};
  log.pending.append(line, len);
  if (log.pending.size() >= access_log_buffer_bytes)
    log.write_out();
}

void flush_access_log() {
  auto& log = buffer();
  std::lock_guard<std::mutex> guard{log.mutex};
  log.write_out();
}

}  // namespace fastactor
