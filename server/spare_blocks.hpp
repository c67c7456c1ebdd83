#pragma once
// spare_blocks: memory blocks of the request path's few fixed sizes, kept per thread for the
// next request instead of going back to malloc.
//
// A keep-alive request takes and frees a handful of blocks of the same few sizes: its read
// buffer and the block its connection waits with (server/read_buffer_allocator.hpp), its parser
// (incoming_request), the shared block of its routed_request (server/request_recycler.hpp).
// glibc serves each malloc and free in ~150 instructions (callgrind, a pipelined /hello:
// malloc, _int_free, free); a spare is taken and given back in a few. The I/O thread that reads
// a request is, almost always, the one that frees it: its spares are the ones it uses next.
//
// Bounds: a thread keeps at most `sizes_max` sizes (the first ones asked for; any other size
// goes to the heap) and `per_size_max` blocks of each, so at most
// per_size_max × (the sizes' sum) bytes; with the request path's sizes, 128 × ~6 KiB.
// A thread's spares are freed when it ends.
//
// Under AddressSanitizer nothing is kept: a block used after it was given back must be the
// use-after-free ASan reports, not a write into the next request's memory.

#include <cstddef>

namespace fastactor::spare_blocks {

/// How many different sizes a thread keeps blocks of.
inline constexpr std::size_t sizes_max = 8;
/// How many blocks of one size a thread keeps (0 under AddressSanitizer).
std::size_t per_size_max();

/// A block of `size` bytes: one of this thread's spares of that size, or a new one.
void* take(std::size_t size);

/// Gives back a block of `size` bytes (from take(), or from operator new with that size):
/// kept as a spare of this thread, or freed when the thread keeps enough of that size.
void give(void* block, std::size_t size) noexcept;

/// How many blocks of `size` bytes this thread keeps (for tests).
std::size_t kept(std::size_t size);

}  // namespace fastactor::spare_blocks
