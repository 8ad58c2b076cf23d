// How many KV cells the engine asks llama.cpp for, and how long a conversation may grow: a pure
// function of the layout, the sequences, the model's training context, the bytes one cell takes
// and the memory there is. No llama.cpp calls; tested on its own (tests/engine/kv_sizing_test.cpp).
//
// The defaults, and why:
//   - A conversation's window is min(training context, 32768) unless --ctx-size says otherwise:
//     Claude Code works from a 32k window (the launcher's compaction settings, README "Context
//     windows"), and a larger one costs memory in every sequence.
//   - unified: those cells are shared by every sequence (a fan-out of long subagents makes the
//     main conversation give way to the RAM tier, as the recorded sessions showed).
//   - per_sequence: every sequence gets a whole window, so a fan-out of main + subagents stays
//     resident; the total is sequences x window. It is cut, window by window, to the memory
//     budget (half the memory the machine has available, less the model file), and the result
//     says so: a window under 16384 tokens cannot hold Claude Code's first exchange.
#pragma once

#include <cstdint>
#include <string>

namespace anyclaude::engine {

// How the sequences' keys and values are laid out (llama.cpp's kv_unified).
//   unified:      one buffer whose cells all sequences share. A copied prefix costs no memory
//                 (cells are shared), any sequence can use any free cell, but every sequence's
//                 attention runs over the range of cells all sequences occupy.
//   per_sequence: a buffer per sequence of total / sequences cells. Attention spans only the
//                 sequence's own cells; a copied prefix is a copy of the source's whole buffer
//                 (trimmed after), and a conversation never exceeds its sequence's share.
enum class KvLayout { unified, per_sequence };

struct KvSizingInput {
    KvLayout layout;
    int sequences = 4;
    int64_t requested_cells = 0;  // --ctx-size: cells in all; 0 = automatic
    int64_t train_ctx = 0;        // the model's training context (0: unknown)
    int64_t bytes_per_cell = 0;   // keys + values of one token over all layers (0: unknown)
    int64_t memory_budget = 0;    // bytes the KV may take (0: unknown, no cap)
};

struct KvSizing {
    int64_t total_cells = 0;  // what llama.cpp is asked for (it pads to 256 per sequence)
    int64_t window = 0;       // the longest prompt + answer one conversation can hold
    std::string note;         // "" or one line for the log: a cut to the budget, a small window
};

// The window under which Claude Code cannot run its first exchange (the launcher refuses it).
constexpr int64_t kSmallestUsefulWindow = 16384;

KvSizing size_kv(const KvSizingInput& in);

// Half of what the machine has available less the model's weights (at least 1 byte); 0 when the
// available memory is unknown. The KV is allocated once at start and stays; the other half is for
// the RAM tier, llama.cpp's compute buffers and everything else.
int64_t kv_memory_budget(int64_t available_bytes, int64_t model_bytes);

// MemAvailable from /proc/meminfo, in bytes; 0 when there is none.
int64_t memory_available();

}  // namespace anyclaude::engine
