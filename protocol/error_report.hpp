#pragma once
// The JSON error report: the body of an error response, and the value of the
// `Fastactor-Errors` trailer once streaming has begun.

#include <fastactor/messages.hpp>

#include <string>
#include <vector>

namespace fastactor {

/// The status of an error response: the status of the first error, 500 if there is none.
status error_status(const std::vector<worker_error>& errors);

/// What a report leaves out, so that its reader knows the list is not everything.
struct report_omissions {
  std::size_t errors = 0;  ///< errors only counted (past the report's limit)
  std::uint64_t result_bytes = 0;  ///< bytes of results dropped (past the report's limit)
};

/// `{"errors":[{"message":…,"source":…,"status":…},…],"results":[…]}` (keys sorted). `results`
/// lists the output that had been produced but not sent when the response failed; it is left out
/// when empty. `"dropped"` (errors) and `"results_dropped_bytes"` appear when something was left
/// out. The text has no raw control characters, so it is also a valid header value.
std::string error_report_json(const std::vector<worker_error>& errors,
                              const std::vector<std::string>& results = {},
                              report_omissions omitted = {});

/// One error as a JSON object, e.g. the data of an SSE `error` event.
std::string error_object_json(const worker_error& e);

/// Only the array of errors, for a trailer: `[{"message":…,"source":…,"status":…},…]`.
std::string error_list_json(const std::vector<worker_error>& errors);

/// The array of errors for a trailer, at most `max_bytes` long: the first errors that fit.
/// `left_out` tells how many did not (curl and Node refuse very large trailers, and the
/// whole response would fail at its end).
std::string error_list_json(const std::vector<worker_error>& errors, std::size_t max_bytes,
                            std::size_t& left_out);

}  // namespace fastactor
