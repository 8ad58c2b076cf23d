// size_kv (src/engine/kv_sizing.hpp): the cells the engine asks for and the window a
// conversation gets, per layout, from the user's --ctx-size, the model and the memory budget.
#include <gtest/gtest.h>

#include "engine/kv_sizing.hpp"

namespace anyclaude::engine {
namespace {

constexpr int64_t MiB = 1 << 20;
constexpr int64_t GiB = int64_t{1} << 30;

struct Case {
    const char* what;
    KvSizingInput in;
    int64_t total_cells;
    int64_t window;
    const char* note_has;  // "" = no note
};

// Bytes per cell: a 7B with 28 layers and 4 KV heads of 128 in f16 is 57,344 (56 KiB).
constexpr int64_t k7b = 28 * 4 * 256 * 2;

const Case kCases[] = {
    {"unified, automatic: one 32k window shared by every sequence",
     {KvLayout::unified, 4, 0, 131072, k7b, 8 * GiB}, 32768, 32768, ""},
    {"unified, a model trained on 8k: its training context",
     {KvLayout::unified, 4, 0, 8192, k7b, 8 * GiB}, 8192, 8192, "too small"},
    {"unified, the user's size: all of it is one conversation's window",
     {KvLayout::unified, 4, 65536, 131072, k7b, 1 * GiB}, 65536, 65536, ""},
    {"per-sequence, automatic: a whole window per sequence (main + 3 subagents resident)",
     {KvLayout::per_sequence, 4, 0, 131072, k7b, 16 * GiB}, 131072, 32768, ""},
    {"per-sequence, six sequences (main + 4 subagents + side)",
     {KvLayout::per_sequence, 6, 0, 131072, k7b, 16 * GiB}, 196608, 32768, ""},
    {"per-sequence over the memory budget: each window cut to fit, and said",
     {KvLayout::per_sequence, 4, 0, 131072, k7b, 4 * GiB}, 4 * 18688, 18688, "over the 4096 MiB budget"},
    {"per-sequence far over the budget: the window is too small for Claude Code, and said",
     {KvLayout::per_sequence, 4, 0, 131072, k7b, 1 * GiB}, 4 * 4608, 4608, "too small for Claude Code"},
    {"per-sequence, the user's total split evenly (no budget applies)",
     {KvLayout::per_sequence, 4, 131072, 131072, k7b, 1 * GiB}, 131072, 32768, ""},
    {"per-sequence, a user's total that does not divide: each share padded down",
     {KvLayout::per_sequence, 3, 100000, 131072, k7b, 0}, 100000, 33280, ""},
    {"per-sequence, nothing known about memory: no cap",
     {KvLayout::per_sequence, 4, 0, 0, 0, 0}, 131072, 32768, ""},
};

TEST(KvSizing, Table) {
    for (const auto& c : kCases) {
        SCOPED_TRACE(c.what);
        KvSizing got = size_kv(c.in);
        EXPECT_EQ(got.total_cells, c.total_cells);
        EXPECT_EQ(got.window, c.window);
        if (*c.note_has)
            EXPECT_NE(got.note.find(c.note_has), std::string::npos) << got.note;
        else
            EXPECT_EQ(got.note, "");
    }
}

TEST(KvSizing, CutWindowFitsTheBudget) {
    for (int64_t budget : {1 * GiB, 3 * GiB, 5 * GiB + 7 * MiB, 9 * GiB}) {
        KvSizing got = size_kv({KvLayout::per_sequence, 5, 0, 131072, k7b, budget});
        EXPECT_LE(got.total_cells * k7b, budget);
        EXPECT_EQ(got.window % 256, 0);
        EXPECT_EQ(got.total_cells, 5 * got.window);
    }
}

TEST(KvSizing, BudgetIsHalfTheAvailableMemoryLessTheModel) {
    EXPECT_EQ(kv_memory_budget(24 * GiB, 5 * GiB), 7 * GiB);
    EXPECT_EQ(kv_memory_budget(24 * GiB, 20 * GiB), 1);  // nothing left: the smallest window, and said
    EXPECT_EQ(kv_memory_budget(0, 5 * GiB), 0);          // unknown: no cap
    EXPECT_GT(memory_available(), 0);                     // Linux has /proc/meminfo
}

}  // namespace
}  // namespace anyclaude::engine
