// Checks that text is standard base64 (RFC 4648 alphabet, '=' padding, length a multiple of 4)
// without decoding it: images and PDFs are passed on as the client sent them.
#pragma once

#include <string_view>

namespace anyclaude::anthropic {

bool is_valid_base64(std::string_view text);

}  // namespace anyclaude::anthropic
