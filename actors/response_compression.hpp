#pragma once
// The writer's compression step (docs/design-notes.md, "Compression at the writer"): when a
// response's head is made, decide its coding; then run every gathered write of its body
// through the compressor with a flush, so that nothing written waits inside it.

#include "actors/request_scope.hpp"
#include "actors/runtime.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fastactor {

/// Decides the coding of `sc`'s response as its head is about to be made, and makes its
/// encoder if it gets one. `whole_body`: the size of a body complete before the first byte;
/// nullopt for a streaming response. `content_type`: the type the head will carry.
/// Whether a different Accept-Encoding could have changed the answer is recorded too
/// (`Vary`): for HEAD and a 304 as for the GET or 200 they stand for, which get no coding
/// themselves. Call add_coding_fields() before rendering the head.
void choose_coding(request_scope& sc, runtime& rt, std::optional<std::size_t> whole_body,
                   std::string_view content_type);

/// The fields the coding needs: `Vary: Accept-Encoding` (merged into the handler's Vary),
/// `Content-Encoding`, and a strong ETag made weak (the coded bytes are not the ones it
/// named).
void add_coding_fields(request_scope& sc, runtime& rt);

/// Compresses the front of the scope's queue — whole parts while they fit in `max_input`
/// bytes, or `max_input` bytes of the first part if it alone is larger — and flushes; ends the
/// coded stream if `finish` and the whole queue was taken. The parts leave the queue, their bytes
/// still counted as held (see request_scope::take_queue); the output (possibly empty) is
/// appended to `out`. Returns the bytes taken, or nullopt if the compressor failed: the queue
/// is then left as it was and the encoder is gone.
std::optional<std::size_t> compress_queue(request_scope& sc, runtime& rt, std::size_t max_input,
                                          bool finish, std::string& out);

/// Compresses `text` and ends the coded stream (an error report: the whole body). False if
/// the compressor failed (`out` unchanged, the encoder gone).
bool compress_text(request_scope& sc, runtime& rt, const std::string& text, std::string& out);

/// The type a head carries: `override`, else the handler's Content-Type, else text/plain.
std::string_view head_content_type(const request_scope& sc, std::string_view override_type = {});

}  // namespace fastactor
