#pragma once
// NDJSON (newline-delimited JSON, application/x-ndjson): one JSON value per line.

#include <fastactor/messages.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace fastactor {

/// `value` on one line, newline-terminated (compact JSON never contains a raw newline).
std::string ndjson_line(const nlohmann::json& value);

/// The line that reports a worker error in an NDJSON stream:
/// `{"error":{"message":…,"source":…,"status":…}}`.
std::string ndjson_error_line(const worker_error& e);

}  // namespace fastactor
