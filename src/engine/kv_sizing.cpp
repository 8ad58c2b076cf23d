// See kv_sizing.hpp.
#include "engine/kv_sizing.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace anyclaude::engine {

namespace {

constexpr int64_t kDefaultWindow = 32768;
constexpr int64_t kPad = 256;  // llama.cpp pads each sequence's share to this

int64_t mib(int64_t bytes) { return bytes >> 20; }

}  // namespace

KvSizing size_kv(const KvSizingInput& in) {
    const int64_t seqs = std::max(1, in.sequences);
    const int64_t window = in.train_ctx > 0 ? std::min(in.train_ctx, kDefaultWindow) : kDefaultWindow;
    KvSizing out;
    if (in.layout == KvLayout::unified) {
        out.total_cells = in.requested_cells > 0 ? in.requested_cells : window;
        out.window = out.total_cells;
    } else if (in.requested_cells > 0) {  // the user's total, split evenly
        out.total_cells = in.requested_cells;
        out.window = in.requested_cells / seqs / kPad * kPad;
    } else {
        out.window = window;
        if (in.bytes_per_cell > 0 && in.memory_budget > 0 &&
            seqs * window * in.bytes_per_cell > in.memory_budget) {
            out.window = std::max(kPad, in.memory_budget / in.bytes_per_cell / seqs / kPad * kPad);
            out.note = std::to_string(seqs) + " sequences of " + std::to_string(window) + " tokens would take " +
                       std::to_string(mib(seqs * window * in.bytes_per_cell)) + " MiB of keys and values, over the " +
                       std::to_string(mib(in.memory_budget)) + " MiB budget: each sequence holds " +
                       std::to_string(out.window) + " tokens";
        }
        out.total_cells = seqs * out.window;
    }
    if (out.window < kSmallestUsefulWindow) {
        if (!out.note.empty()) out.note += "; ";
        out.note += "a window of " + std::to_string(out.window) +
                    " tokens is too small for Claude Code: use fewer --parallel sequences, a larger --ctx-size, "
                    "or --kv-layout unified";
    }
    return out;
}

int64_t kv_memory_budget(int64_t available_bytes, int64_t model_bytes) {
    if (available_bytes <= 0) return 0;
    return std::max<int64_t>(1, available_bytes / 2 - model_bytes);
}

int64_t memory_available() {
    std::ifstream f("/proc/meminfo");
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream ss(line);
        std::string key;
        int64_t kib = 0;
        if (ss >> key >> kib && key == "MemAvailable:") return kib << 10;
    }
    return 0;
}

}  // namespace anyclaude::engine
