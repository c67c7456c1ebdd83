#include "protocol/access_log.hpp"

#include <algorithm>
#include <cstdio>

namespace fastactor {

namespace {

constexpr int field_max = 300;  ///< bytes of a method or target in a line

int clip(std::string_view s) {
  return static_cast<int>(std::min<std::size_t>(s.size(), field_max));
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
  std::fwrite(line, 1, len, stdout);
}

}  // namespace fastactor
