// FNV-1a, 64 bits: the project's one small non-cryptographic hash of bytes (thinking signatures,
// model fingerprints, test-model seeds, redaction filler). Two hand-written copies had drifted:
// one used 1469598103934665603, a digit short of the offset basis, so the same thinking text got
// another signature upstream than embedded. Not for the prompt cache's files (prompt_cache_hash).
#pragma once

#include <cstdint>
#include <string_view>

namespace anyclaude::common::fnv1a {

inline constexpr uint64_t kOffsetBasis = 14695981039346656037ull;  // 0xcbf29ce484222325
inline constexpr uint64_t kPrime = 1099511628211ull;               // 0x100000001b3

// Continues hash h over bytes (start with kOffsetBasis).
constexpr uint64_t mix(uint64_t h, std::string_view bytes) {
    for (char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= kPrime;
    }
    return h;
}

constexpr uint64_t hash(std::string_view bytes) { return mix(kOffsetBasis, bytes); }

}  // namespace anyclaude::common::fnv1a

// Callers anywhere in anyclaude write fnv1a::...
namespace anyclaude {
namespace fnv1a = common::fnv1a;
}  // namespace anyclaude
