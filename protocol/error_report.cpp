#include "protocol/error_report.hpp"

#include <nlohmann/json.hpp>

namespace fastactor {

namespace {

nlohmann::json to_json(const std::vector<worker_error>& errors) {
  auto list = nlohmann::json::array();
  for (const auto& e : errors)
    list.push_back({{"source", e.source}, {"message", e.message}, {"status", code(e.status)}});
  return list;
}

// Worker output is arbitrary bytes; replace invalid UTF-8 rather than throw from dump().
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

status error_status(const std::vector<worker_error>& errors) {
  return errors.empty() ? status::internal_server_error : errors.front().status;
}

std::string error_report_json(const std::vector<worker_error>& errors,
                              const std::vector<std::string>& results, report_omissions omitted) {
  nlohmann::json report{{"errors", to_json(errors)}};
  if (!results.empty())
    report["results"] = results;
  if (omitted.errors > 0)
    report["dropped"] = omitted.errors;
  if (omitted.result_bytes > 0)
    report["results_dropped_bytes"] = omitted.result_bytes;
  return dump(report);
}

std::string error_object_json(const worker_error& e) {
  return dump({{"source", e.source}, {"message", e.message}, {"status", code(e.status)}});
}

std::string error_list_json(const std::vector<worker_error>& errors) {
  return dump(to_json(errors));
}

}  // namespace fastactor

namespace fastactor {

std::string error_list_json(const std::vector<worker_error>& errors, std::size_t max_bytes,
                            std::size_t& left_out) {
  std::string list = "[";
  std::size_t kept = 0;
  for (const auto& e : errors) {
    auto item = error_object_json(e);
    if (list.size() + item.size() + 2 > max_bytes)
      break;
    if (kept++ > 0)
      list += ',';
    list += item;
  }
  list += ']';
  left_out = errors.size() - kept;
  return list;
}

}  // namespace fastactor
