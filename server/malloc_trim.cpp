#include <fastactor/malloc_trim.hpp>

#include <malloc.h>

#include <cstdlib>
#include <cstring>

// Under a sanitizer the allocator is the sanitizer's: it takes mallopt and ignores it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define FASTACTOR_OWN_ALLOCATOR 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define FASTACTOR_OWN_ALLOCATOR 1
#  endif
#endif

namespace fastactor {

namespace {

// Whoever set glibc's thresholds by hand knows their workload better than a default does.
bool environment_sets_thresholds() {
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_MMAP_THRESHOLD_"))
    return true;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables
    && (std::strstr(tunables, "glibc.malloc.trim_threshold")
        || std::strstr(tunables, "glibc.malloc.mmap_threshold"));
}

}  // namespace

std::string apply_malloc_trim_threshold(std::size_t bytes) {
  if (bytes > max_malloc_trim_threshold)
    return "malloc trim threshold " + std::to_string(bytes) + " is above the largest, "
      + std::to_string(max_malloc_trim_threshold);
  if (bytes == 0 || environment_sets_thresholds())
    return {};
#ifdef FASTACTOR_OWN_ALLOCATOR
  return {};
#else
  // The mmap threshold first: setting either one fixes both (glibc stops adapting them), and a
  // block between 128 KiB and the trim threshold should come from the arena, not a mapping of
  // its own made and unmade per block.
  if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(bytes / 2)) != 1
      || mallopt(M_TRIM_THRESHOLD, static_cast<int>(bytes)) != 1)
    return "glibc refused the malloc thresholds";
  return {};
#endif
}

}  // namespace fastactor
