#pragma once
// fastactor's own exit reasons and error codes, as CAF errors (category "fastactor").

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include <cstdint>
#include <string>

namespace fastactor {

enum class errc : std::uint8_t {
  worker_failed = 1,  ///< a worker threw; the exception was already reported as an error
  request_finished,  ///< the request ended; its workers are stopped with this reason
  connection_closed,  ///< the writer's connection is gone
  /// A remote node has no worker type by the name asked for (its worker host ends with this,
  /// so that a worker that itself ends with CAF's sec::unknown_type is not mistaken for it).
  no_worker_type,
};

constexpr caf::atom_value error_category = caf::atom("fastactor");

inline caf::error make_error(errc x) {
  return caf::error{static_cast<std::uint8_t>(x), error_category};
}

/// True if `e` is fastactor's `x`. Safe on "no error" (a default caf::error, or
/// exit_reason::normal, which CAF 0.17 stores as one): its category() must not be asked.
inline bool is(const caf::error& e, errc x) {
  return e && e.category() == error_category && e.code() == static_cast<std::uint8_t>(x);
}

/// "request_finished", ... for logs and error reports.
std::string to_string(errc x);

/// Renders any exit reason readably, fastactor's own included; "none" for no error (a normal
/// exit among them).
std::string describe(const caf::error& e);

}  // namespace fastactor
