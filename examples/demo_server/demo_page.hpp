#pragma once
// The demo page (examples/demo_server/index.html), compiled into the server.

#include <string_view>

namespace demo {

std::string_view page_html();

}  // namespace demo
