// Writes the seed corpus of fuzz_snapshot_reader: real snapshot files made by the real writer
// (write_snapshot_file), under the fingerprint the fuzzer reads with, plus one of another model.
// Usage: make_snapshot_seeds DIR   (scripts/fuzz.sh runs it; nothing binary is committed)
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "engine/snapshot_file.hpp"

using namespace anyclaude::engine;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const std::string fp = "fuzz-model.gguf:1234567:q4_k_m";  // = kFingerprint in fuzz_snapshot_reader.cpp

    struct Seed {
        std::string fingerprint;
        Priority priority;
        Tokens tokens;
        std::vector<uint8_t> state;
    };
    auto pattern = [](std::size_t n, unsigned mul) {
        std::vector<uint8_t> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * mul + 3);
        return v;
    };
    Tokens counting(300);
    std::iota(counting.begin(), counting.end(), -2);
    std::vector<Seed> seeds = {
        {fp, Priority::normal, {}, {}},
        {fp, Priority::checkpoint, {1, 2, 3}, pattern(17, 7)},
        {fp, Priority::stable_prefix, {151644, 8948, 198, 2610, 525}, pattern(64, 13)},
        {fp, Priority::normal, counting, pattern(1000, 31)},
        {fp, Priority::checkpoint, {-1, 0, 2147483647}, pattern(33, 5)},
        {"another-model", Priority::normal, {7, 8}, pattern(9, 3)},
    };
    int failures = 0;
    for (const auto& s : seeds) {
        std::string name = snapshot_file_name(s.fingerprint, s.tokens);
        auto r = write_snapshot_file(dir, name, s.fingerprint, s.priority, s.tokens, s.state);
        if (!r) {
            std::fprintf(stderr, "%s\n", r.error().c_str());
            ++failures;
        }
    }
    return failures ? 1 : 0;
}
