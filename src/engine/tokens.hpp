// Token ids as the engine passes them around (same type as llama_token).
#pragma once

#include <cstdint>
#include <vector>

namespace anyclaude::engine {

using Token = int32_t;
using Tokens = std::vector<Token>;

// Length of the common prefix of a and b.
inline std::size_t common_prefix(const Tokens& a, const Tokens& b) {
    std::size_t n = a.size() < b.size() ? a.size() : b.size(), i = 0;
    while (i < n && a[i] == b[i]) ++i;
    return i;
}

}  // namespace anyclaude::engine
