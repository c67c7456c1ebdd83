#pragma once
// How much CPU time the test process (the server, its clients and any attacker together)
// spends while a test runs: what tells a server that spins from one that waits.

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/time.h>

namespace testing {

/// CPU time (user + system) this process spent since the probe was made.
class cpu_probe {
public:
  cpu_probe() : start_(now()) {}
  double seconds() const { return now() - start_; }

private:
  static double now() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
  }
  double start_;
};

/// CPU bounds are generous (2 shared cores, sanitizer builds): they catch a server that spins,
/// not a slow one.
inline void check_cpu(const cpu_probe& cpu, double bound_s) {
  INFO("CPU time spent by the process: " << cpu.seconds() << " s (bound " << bound_s << " s)");
  CHECK(cpu.seconds() < bound_s);
}

}  // namespace testing
