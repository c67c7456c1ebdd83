#pragma once
// request_recycler: the routed_requests the parser fills, made from the spent ones this thread
// kept instead of anew.
//
// A request made with make_shared cost two allocations before its first field (the shared
// block, then the field list at its first field; a browser's ten fields grow the list four
// times more, moving the fields before each growth) and as many frees when its response was
// done: ~300 of a pipelined /hello's ~6,100 instructions (callgrind). A spent request is
// emptied instead (every member back to its default; a small string or list keeps its room,
// a larger one is freed) and waits for the next request on the thread that let it go — the
// I/O thread that reads the next one, almost always. Its shared block is one of the thread's
// spares (spare_blocks.hpp).
//
// Bounds: a thread keeps at most 64 spent requests, each with room for at most
// `fields_kept_max` header fields, 16 of the other lists and 256 bytes a string (larger ones
// are given back): ~430 KiB a thread at worst, a few KiB for requests like wrk's. An emptied
// request holds no bytes a client sent. Nothing is kept under AddressSanitizer.

#include <fastactor/handler.hpp>

#include <cstddef>
#include <memory>

namespace fastactor {

/// The most fields a spent request keeps room for (a browser sends 10 to 20).
inline constexpr std::size_t fields_kept_max = 32;

/// An empty routed_request, as `std::make_shared<routed_request>()` makes, but from this
/// thread's spent ones when it has any. It can be let go on any thread.
std::shared_ptr<routed_request> make_routed_request();

/// How many spent requests this thread keeps (for tests).
std::size_t kept_routed_requests();

}  // namespace fastactor
