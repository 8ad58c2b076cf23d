// Thinking signatures (see thinking_signature.hpp).
#include "ir/thinking_signature.hpp"

#include <cstdio>

#include "common/fnv1a.hpp"

namespace anyclaude::ir {

std::string thinking_signature(std::string_view thinking) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a::hash(thinking)));
    return std::string("anyclaude-") + hex;
}

}  // namespace anyclaude::ir
