// --malloc-trim-threshold: memory a thread frees stays with malloc, up to the threshold, instead
// of going back to the system at once and being faulted in again by the next allocations.
#include <fastactor/malloc_trim.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace fastactor;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool glibc_malloc = false;
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool glibc_malloc = false;
#  else
constexpr bool glibc_malloc = true;
#  endif
#else
constexpr bool glibc_malloc = true;
#endif

constexpr std::ptrdiff_t kib = 1024;

std::ptrdiff_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::ptrdiff_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

/// What a stream's worker does, on a thread (and so a malloc arena) of its own: 1 MiB of
/// 16 KiB chunks made and written, then freed. Returns how much of it is still resident.
std::ptrdiff_t resident_after_a_freed_mib() {
  std::ptrdiff_t kept = 0;
  std::thread{[&kept] {
    std::vector<std::string> chunks;
    chunks.reserve(64);
    auto before = resident_bytes();
    for (int i = 0; i < 64; ++i)
      chunks.emplace_back(16 * kib, static_cast<char>('a' + i % 26));
    chunks.clear();
    kept = resident_bytes() - before;
  }}.join();
  return kept;
}

}  // namespace

// One path, in this order: the thresholds are process-wide and cannot be taken back.
SCENARIO("freed memory stays with malloc up to --malloc-trim-threshold", "[options]") {
  GIVEN("glibc's defaults") {
    if (!glibc_malloc) {
      // The sanitizers bring their own allocator, which ignores mallopt: the call is left
      // out, and only the checks of the value can be seen.
      CHECK(apply_malloc_trim_threshold(8 * 1024 * 1024).empty());
      CHECK_FALSE(apply_malloc_trim_threshold(max_malloc_trim_threshold + 1).empty());
      return;
    }
    CHECK(resident_after_a_freed_mib() < 256 * kib);  // given back at once
    WHEN("a threshold above the largest is asked for") {
      auto error = apply_malloc_trim_threshold(max_malloc_trim_threshold + 1);
      THEN("it is refused, naming the largest, and nothing changes") {
        CHECK(error.find(std::to_string(max_malloc_trim_threshold)) != std::string::npos);
        CHECK(resident_after_a_freed_mib() < 256 * kib);
      }
      AND_WHEN("the environment sets glibc's thresholds itself") {
        setenv("MALLOC_TRIM_THRESHOLD_", "131072", 1);
        auto left = apply_malloc_trim_threshold(8 * 1024 * 1024);
        unsetenv("MALLOC_TRIM_THRESHOLD_");
        THEN("fastactor leaves them as they are") {
          CHECK(left.empty());
          CHECK(resident_after_a_freed_mib() < 256 * kib);
        }
        AND_WHEN("nothing does, and 8 MiB is applied") {
          auto applied = apply_malloc_trim_threshold(8 * 1024 * 1024);
          THEN("the freed MiB stays, ready for the next chunks") {
            CHECK(applied.empty());
            CHECK(resident_after_a_freed_mib() >= 768 * kib);
          }
        }
      }
    }
  }
}
