#include <fastactor/errors.hpp>

namespace fastactor {

std::string to_string(errc x) {
  switch (x) {
    case errc::worker_failed: return "worker_failed";
    case errc::request_finished: return "request_finished";
    case errc::connection_closed: return "connection_closed";
    case errc::no_worker_type: return "no_worker_type";
  }
  return "unknown";
}

std::string describe(const caf::error& e) {
  if (e && e.category() == error_category)  // CAF 0.17: no category() on "no error"
    return to_string(static_cast<errc>(e.code()));
  return caf::to_string(e);  // CAF renders its own categories, e.g. "exit_reason(kill)"
}

}  // namespace fastactor
