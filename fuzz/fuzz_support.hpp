// Shared helpers for the libFuzzer targets (fuzz/README.md): an invariant check that aborts
// with a message (so libFuzzer records a crash), and input-derived chunk splits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);     \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace anyclaude::fuzz {

// FNV-1a of the input: the seed for the split points, so the same input always splits the same
// way and every mutation explores other splits too.
inline uint64_t input_hash(std::string_view data) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

// Splits data into chunks (1 byte up to a few hundred; mostly small, so that tags, lines and
// UTF-8 sequences are cut everywhere) chosen by a xorshift generator seeded from the input.
inline std::vector<std::string_view> split(std::string_view data, uint64_t seed) {
    std::vector<std::string_view> out;
    uint64_t x = seed | 1;
    std::size_t pos = 0;
    while (pos < data.size()) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::size_t n;
        switch (x & 3) {
            case 0: n = 1; break;
            case 1: n = 1 + (x >> 8) % 8; break;
            case 2: n = 1 + (x >> 8) % 64; break;
            default: n = 1 + (x >> 8) % 512; break;
        }
        if (n > data.size() - pos) n = data.size() - pos;
        out.push_back(data.substr(pos, n));
        pos += n;
    }
    return out;
}

}  // namespace anyclaude::fuzz
