// Hash64: the prompt cache's file-name hash and file checksum (see prompt_cache_hash.hpp).
#include "engine/prompt_cache_hash.hpp"

#include <cstring>

namespace anyclaude::engine {
namespace {

constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;    // 2^64 / golden ratio, odd
constexpr uint64_t kFold = 0xD6E8FEB86659FD93ull;   // an odd constant with mixed bits
constexpr uint64_t kLaneSeed[4] = {0x243F6A8885A308D3ull, 0x13198A2E03707344ull,
                                     0xA4093822299F31D0ull, 0x082EFA98EC4E6C89ull};  // digits of pi

uint64_t load64(const unsigned char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;  // the host's byte order; the disk format is little-endian (checked in snapshot_file)
}

uint64_t step(uint64_t lane, uint64_t word) {
    lane = (lane ^ word) * kMul;
    return lane ^ (lane >> 32);
}

uint64_t finalise(uint64_t h) {
    h ^= h >> 31;
    h *= kFold;
    h ^= h >> 29;
    h *= kMul;
    h ^= h >> 32;
    return h;
}

}  // namespace

Hash64::Hash64(uint64_t seed) {
    for (int i = 0; i < 4; ++i) lanes_[i] = kLaneSeed[i] ^ seed;
}

void Hash64::block(const unsigned char* p) {
    for (int i = 0; i < 4; ++i) lanes_[i] = step(lanes_[i], load64(p + 8 * i));
}

void Hash64::update(const void* data, std::size_t n) {
    if (n == 0) return;  // data may be null (an empty vector's data())
    auto p = static_cast<const unsigned char*>(data);
    total_ += n;
    if (tail_len_ > 0) {
        std::size_t take = n < 32 - tail_len_ ? n : 32 - tail_len_;
        std::memcpy(tail_ + tail_len_, p, take);
        tail_len_ += take;
        p += take;
        n -= take;
        if (tail_len_ < 32) return;
        block(tail_);
        tail_len_ = 0;
    }
    for (; n >= 32; p += 32, n -= 32) block(p);
    std::memcpy(tail_, p, n);
    tail_len_ = n;
}

uint64_t Hash64::finish() const {
    uint64_t lanes[4] = {lanes_[0], lanes_[1], lanes_[2], lanes_[3]};
    if (tail_len_ > 0) {
        unsigned char padded[32] = {};
        std::memcpy(padded, tail_, tail_len_);
        for (int i = 0; i < 4; ++i) lanes[i] = step(lanes[i], load64(padded + 8 * i));
    }
    uint64_t h = total_ * kFold;
    for (uint64_t lane : lanes) h = (h ^ finalise(lane)) * kMul;
    return finalise(h);
}

uint64_t hash64(const void* data, std::size_t n, uint64_t seed) {
    Hash64 h(seed);
    h.update(data, n);
    return h.finish();
}

}  // namespace anyclaude::engine
