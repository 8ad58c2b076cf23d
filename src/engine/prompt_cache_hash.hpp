// A fast 64-bit hash for the prompt cache's disk tier: names files (by model fingerprint + token
// ids) and checksums their contents. Written here (no library): four independent 64-bit lanes
// over 32-byte blocks, each step `lane = (lane ^ word) * K; lane ^= lane >> 32` (a bijection of
// the lane for a fixed word, so a change confined to one lane is always detected), the tail
// zero-padded, then the lanes and the total length folded together and finalised. It is a
// checksum against torn writes and bit rot, not a cryptographic hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace anyclaude::engine {

class Hash64 {
public:
    explicit Hash64(uint64_t seed = 0);
    void update(const void* data, std::size_t n);
    void update(std::string_view s) { update(s.data(), s.size()); }
    uint64_t finish() const;  // does not change the state: more update() calls may follow

private:
    void block(const unsigned char* p);

    uint64_t lanes_[4];
    unsigned char tail_[32];
    std::size_t tail_len_ = 0;
    uint64_t total_ = 0;
};

// One-shot form.
uint64_t hash64(const void* data, std::size_t n, uint64_t seed = 0);

}  // namespace anyclaude::engine
