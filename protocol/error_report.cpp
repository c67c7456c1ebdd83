#include "protocol/error_report.hpp"

#include <nlohmann/json.hpp>

namespace fastactor {

namespace {

nlohmann::json to_json(const std::vector<worker_error>& errors) {
  auto list = nlohmann::json::array();
  for (const auto& e : errors)
    list.push_back({{"source", e.source}, {"message", e.message}, {"status", e.status}});
  return list;
}

// Worker output is arbitrary bytes; replace invalid UTF-8 rather than throw from dump().
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

std::uint16_t error_status(const std::vector<worker_error>& errors) {
  return errors.empty() ? 500 : errors.front().status;
}

std::string error_report_json(const std::vector<worker_error>& errors,
                              const std::vector<std::string>& results) {
  nlohmann::json report{{"errors", to_json(errors)}};
  if (!results.empty())
    report["results"] = results;
  return dump(report);
}

std::string error_object_json(const worker_error& e) {
  return dump({{"source", e.source}, {"message", e.message}, {"status", e.status}});
}

std::string error_list_json(const std::vector<worker_error>& errors) {
  return dump(to_json(errors));
}

} // namespace fastactor
