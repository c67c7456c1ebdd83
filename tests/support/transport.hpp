#pragma once
// How a test client reaches the server: plain TCP, or TLS with some options. Clients that are
// not told get `transport::from_environment()`: TLS with the default options when the
// environment has FASTACTOR_TEST_TLS=1 (tests/CMakeLists.txt runs the attack suite and the
// demo's endpoint tests a second time so), else plain TCP. test_server::default_config()
// reads the same variable, so a test written for plain HTTP runs over HTTPS unchanged.

#include "support/tls_client.hpp"

#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>

namespace testing {

/// True in a run with FASTACTOR_TEST_TLS=1.
inline bool tls_from_environment() {
  const char* value = std::getenv("FASTACTOR_TEST_TLS");
  return value && std::string_view{value} == "1";
}

struct transport {
  std::optional<tls_options> tls;  ///< empty: plain TCP

  static transport plain() { return {}; }
  static transport over_tls(tls_options options = {}) { return {std::move(options)}; }
  static transport from_environment() { return tls_from_environment() ? over_tls() : plain(); }
};

}  // namespace testing
