// UTF-8 validation (no overlong forms, no surrogates, nothing above U+10FFFF), used to
// explain why a body failed to parse.
#pragma once

#include <string_view>

namespace anyclaude::anthropic {

bool is_valid_utf8(std::string_view text);

}  // namespace anyclaude::anthropic
