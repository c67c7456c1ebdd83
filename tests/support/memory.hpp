#pragma once
// Peak resident memory of this process, for tests whose server runs in-process: reset the
// peak (VmHWM) to the current RSS, do something, then read how far the peak rose.

#include <optional>

namespace testing {

/// True in a build with AddressSanitizer: its shadow memory and quarantine make RSS
/// figures meaningless, so tests skip RSS bounds (and only those) there.
#if defined(__has_feature)
#  if __has_feature(address_sanitizer)
inline constexpr bool built_with_asan = true;
#  else
inline constexpr bool built_with_asan = false;
#  endif
#elif defined(__SANITIZE_ADDRESS__)
inline constexpr bool built_with_asan = true;
#else
inline constexpr bool built_with_asan = false;
#endif

/// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 if absent.
long proc_status_kib(const char* field);

/// Resets this process's peak RSS (VmHWM) to its current RSS by writing "5" to
/// /proc/self/clear_refs. False if the kernel refused (then peaks are not measurable).
bool reset_peak_rss();

/// Measures how far the peak RSS rises from the moment it is made: the peak is reset in the
/// constructor, `growth_mib()` reads VmHWM minus the RSS at the reset.
class peak_rss_probe {
public:
  peak_rss_probe();
  bool valid() const { return valid_; }
  /// MiB the peak RSS rose above the RSS at construction.
  double growth_mib() const;

private:
  bool valid_ = false;
  long start_kib_ = 0;
};

}  // namespace testing
