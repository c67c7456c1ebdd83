#include <fastactor/ndjson.hpp>

namespace fastactor {

std::string ndjson_line(const nlohmann::json& value) {
  auto line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return line;
}

std::string ndjson_error_line(const worker_error& e) {
  return ndjson_line(
    {{"error", {{"source", e.source}, {"message", e.message}, {"status", code(e.status)}}}});
}

}  // namespace fastactor
