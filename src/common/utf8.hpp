// UTF-8 as the project accepts it: no overlong forms, no surrogates, nothing above U+10FFFF.
// Shared by the request decoder (why a body failed to parse) and the upstream error excerpts
// (cut at a character boundary, invalid bytes replaced).
#pragma once

#include <cstddef>
#include <string_view>

namespace anyclaude::common::utf8 {

// Length (1-4) of the well-formed sequence starting at s[i], or 0 when none starts there.
std::size_t sequence_length(std::string_view s, std::size_t i);

bool is_valid(std::string_view s);

}  // namespace anyclaude::common::utf8

// Callers anywhere in anyclaude write utf8::...
namespace anyclaude {
namespace utf8 = common::utf8;
}  // namespace anyclaude
