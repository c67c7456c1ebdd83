#include <fastactor/compression.hpp>

namespace fastactor {

std::string_view to_string(compression_mode mode) {
  return mode == compression_mode::on ? "on" : "off";
}

std::optional<compression_mode> parse_compression_mode(std::string_view text) {
  if (text == "on")
    return compression_mode::on;
  if (text == "off")
    return compression_mode::off;
  return std::nullopt;
}

}  // namespace fastactor
