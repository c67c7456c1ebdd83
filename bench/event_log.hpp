#pragma once
// The text the compression benchmarks compress: an event log as NDJSON lines, 82-190 bytes
// each, with a few words of text and now and then a random hex token that does not compress.
// One generator for bench/compression_levels.cpp and the bench server's /ndjson, so that the
// level table and the 1 GiB rows measure the same kind of text.

#include <cstdio>
#include <random>
#include <string>

namespace bench::event_log {

inline const char* const users[] = {"alice", "bob",  "carol", "dave",    "erin", "frank",  "grace",
                                    "heidi", "ivan", "judy",  "mallory", "niaj", "olivia", "peggy"};
inline const char* const events[] = {"login",    "logout", "page_view", "click",     "add_to_cart",
                                     "purchase", "search", "error",     "heartbeat", "share"};
inline const char* const words[] = {
  "the",      "order",     "was",   "shipped",  "to",      "warehouse", "north",
  "customer", "asked",     "about", "delivery", "status",  "payment",   "failed",
  "retry",    "scheduled", "in",    "minutes",  "item",    "back",      "stock",
  "price",    "changed",   "from",  "new",      "session", "started"};

template <class T, std::size_t N>
const T& pick(const T (&items)[N], std::mt19937& rng) {
  return items[rng() % N];
}

/// A payload: a few words of text, or now and then a token that does not compress.
inline std::string payload(std::mt19937& rng) {
  if (rng() % 5 == 0) {
    char hex[33];
    std::snprintf(hex, sizeof(hex), "%08x%08x%08x%08x", static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng()), static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng()));
    return hex;
  }
  std::string p;
  for (unsigned i = 0, n = rng() % 12 + 2; i < n; ++i) {
    if (i)
      p += ' ';
    p += pick(words, rng);
  }
  return p;
}

/// Line `n` of the log, with its '\n'.
inline std::string ndjson_line(long n, std::mt19937& rng) {
  // The draws in a fixed order (a function's arguments have none).
  auto user = pick(users, rng);
  auto user_number = static_cast<unsigned>(rng() % 1000);
  auto event = pick(events, rng);
  auto ts = 1700000000000LL + n * 37 + static_cast<long long>(rng() % 30);
  auto text = payload(rng);
  char line[512];
  std::snprintf(line, sizeof(line),
                "{\"id\":%ld,\"user\":\"%s%u\",\"event\":\"%s\",\"ts\":%lld,\"payload\":\"%s\"}\n",
                n, user, user_number, event, ts, text.c_str());
  return line;
}

}  // namespace bench::event_log
