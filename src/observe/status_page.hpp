// The status page served at `/`: one HTML document with its CSS and script inlined, built from
// src/observe/status_page/{index.html,status.css,status.js} into a generated .cpp at build time
// (cmake/embed_status_page.cmake), so the binary serves it offline with no files beside it.
#pragma once

#include <string_view>

namespace anyclaude::observe {

std::string_view status_page_html();

}  // namespace anyclaude::observe
