#include "protocol/chunked.hpp"

#include <cstdio>

namespace fastactor::chunked {

std::string size_line(std::size_t size) {
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%zx\r\n", size);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string last_chunk(const std::string& trailers) {
  std::string out = "0\r\n";
  out += trailers;
  out += "\r\n";
  return out;
}

}  // namespace fastactor::chunked
