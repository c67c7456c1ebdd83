#include "protocol/access_log.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace fastactor {

namespace {

constexpr int field_max = 300;  ///< bytes of a method or target in a line

/// The lines not yet written, shared by every thread that logs.
struct log_buffer {
  std::mutex mutex;
  std::string pending;

  ~log_buffer() { write_out(); }  // at exit: lines of a program that never stopped its server

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
  static log_buffer instance;  // written out when destroyed, at exit
  return instance;
}

/// A line being written, cut (never overrun) at its capacity, with room kept for the '\n'.
class line_text {
public:
  line_text& operator<<(std::string_view piece) {
    auto n = std::min(piece.size(), capacity - size_);
    std::copy_n(piece.data(), n, text_ + size_);
    size_ += n;
    return *this;
  }

  line_text& operator<<(std::uint64_t n) {
    char digits[20];
    auto end = std::to_chars(digits, digits + sizeof(digits), n).ptr;
    return *this << std::string_view{digits, static_cast<std::size_t>(end - digits)};
  }

  std::string_view finish() {
    text_[size_++] = '\n';
    return {text_, size_};
  }

private:
  static constexpr std::size_t capacity = 1022;
  char text_[capacity + 2];
  std::size_t size_ = 0;
};

std::string_view clipped(std::string_view s) {
  return s.substr(0, field_max);
}

}  // namespace

// Formatted by hand: snprintf took a third of a /hello request's instructions.
void write_access_log(const access_log_entry& e) {
  line_text line;
  line << clipped(e.peer.empty() ? std::string_view{"-"} : e.peer);
  if (e.method.empty())
    line << " \"-\" ";
  else
    line << " \"" << clipped(e.method) << " " << clipped(e.target) << " HTTP/"
         << std::uint64_t{e.version / 10} << "." << std::uint64_t{e.version % 10} << "\" ";
  auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(e.duration.count(), 0));
  char millis[4] = {'.', static_cast<char>('0' + us / 100 % 10),
                    static_cast<char>('0' + us / 10 % 10), static_cast<char>('0' + us % 10)};
  line << std::uint64_t{code(e.sent)} << " " << e.body_bytes << " " << us / 1000
       << std::string_view{millis, 4} << "ms";
  if (!e.note.empty())
    line << " " << e.note;
  auto text = line.finish();
  auto& log = buffer();
  std::lock_guard<std::mutex> guard{log.mutex};
  log.pending.append(text);
  if (log.pending.size() >= access_log_buffer_bytes)
    log.write_out();
}

void flush_access_log() {
  auto& log = buffer();
  std::lock_guard<std::mutex> guard{log.mutex};
  log.write_out();
}

}  // namespace fastactor
