#pragma once
// malloc_trim: how much freed memory glibc's malloc keeps for reuse before it gives it back to
// the system (`--malloc-trim-threshold`).
//
// Why it matters: a stream's chunks are made by a worker on a CAF thread and freed on the I/O
// thread once written, a few hundred KiB in flight per stream. glibc gives the free top of an
// arena back (madvise) as soon as it exceeds the trim threshold, 128 KiB until a large block
// has been freed, so those pages went back to the system and were faulted in again over and
// over: a 1 GiB stream spent up to 3 of its 4 CPU-seconds in page faults and TLB flushes, in
// about half the runs. glibc raises the threshold on its own (up to 64 MiB) once a block of
// 128 KiB or more has been freed; this sets it from the start. The measurements are in
// docs/design-notes.md ("Freed memory stays with malloc").

#include <cstddef>
#include <string>

namespace fastactor {

/// Sets glibc's M_TRIM_THRESHOLD to `bytes`, and M_MMAP_THRESHOLD (the size from which a block
/// gets a mapping of its own) to half of it, glibc's own ratio when it adapts them. Process-wide.
/// 0, or an environment that sets either already (MALLOC_TRIM_THRESHOLD_,
/// MALLOC_MMAP_THRESHOLD_, or GLIBC_TUNABLES with glibc.malloc.trim_threshold or
/// glibc.malloc.mmap_threshold), leaves glibc as it is; so does a build with AddressSanitizer
/// or ThreadSanitizer, whose allocator ignores mallopt. Returns an error message, or empty.
std::string apply_malloc_trim_threshold(std::size_t bytes);

/// The largest `bytes` apply_malloc_trim_threshold takes: glibc refuses an mmap threshold above
/// 32 MiB.
constexpr std::size_t max_malloc_trim_threshold = 64 * 1024 * 1024;

}  // namespace fastactor
