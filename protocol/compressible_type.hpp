#pragma once
// Which media types are worth compressing: text compresses 4-10x; images, audio, video and
// archives are compressed already, and compressing them again costs CPU for nothing (or
// makes them larger).

#include <string_view>

namespace fastactor {

/// True for a Content-Type (parameters allowed: "text/html; charset=utf-8") that compresses:
/// text/*, JSON, NDJSON, XML, JavaScript, SVG, WebAssembly, and any +json, +xml or +text
/// type. False for everything else, application/octet-stream and an empty type included.
bool compressible_type(std::string_view content_type);

}  // namespace fastactor
