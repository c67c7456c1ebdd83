#pragma once
// What the demo's /concurrent/advanced promises about its body, for the tests that fetch it
// over another transport (HTTP/2, TLS, a browser). Its two workers write 50 and 80 ms after
// the request. When the machine stalls for longer than the 30 ms between them (a sanitizer
// build on a busy host), both timers are due at once, the two workers run on two scheduler
// threads, and either may reach the writer first: as in Go's version of the demo, two
// goroutines that sleep and then write under a mutex. The order, and that each line leaves as
// soon as it exists, is what tests/demo/test_demo_endpoints.cpp checks, with the timing.

#include <string>

namespace testing {

/// Both lines of /concurrent/advanced, each once, in either order.
inline bool is_advanced_body(const std::string& body) {
  return body == "Database result loaded\nAPI service responded\n"
    || body == "API service responded\nDatabase result loaded\n";
}

}  // namespace testing
