#pragma once
// spare_parts: one emptied vector of body parts kept per thread, for the next response.
//
// An HTTP/1.1 response's body is queued in a vector of parts (request_scope::append), which its
// write takes and which used to be freed once the bytes were out: an allocation and a free
// per response. The session gives the emptied vector back here instead (a held response's at
// once, a written one when its write is done), and the next body queued on the thread takes
// it. One vector per thread, and only a small one (at most keep_max parts), so that a stream
// that queued thousands of parts leaves nothing behind; a connection holds none of it.

#include <cstddef>
#include <string>
#include <vector>

namespace fastactor::spare_parts {

/// The largest vector kept, in parts.
inline constexpr std::size_t keep_max = 8;

/// An empty vector with room for at least `parts`: this thread's spare one if it has the room,
/// else a new one.
std::vector<std::string> take(std::size_t parts);

/// Empties `parts` and leaves it without memory: the memory becomes this thread's spare
/// vector if it is small enough (it replaces the one there), else it is freed.
void give(std::vector<std::string>& parts) noexcept;

}  // namespace fastactor::spare_parts
