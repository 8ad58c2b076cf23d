// The prompt cache's index and its host-RAM and disk tiers.
//
// A radix tree over token ids records every cached prefix and where its key/value state lives:
//   - live: in a llama.cpp sequence (the engine tells the index what each sequence holds);
//   - ram:  a snapshot (the bytes of llama_state_seq_get_data for a sequence holding those tokens);
//   - disk: the same snapshot in a file that survives restarts.
// A snapshot of tokens T can serve any prefix of T (the engine restores it and truncates), so a
// lookup returns the deepest common prefix with the prompt in any tier.
//
// RAM has a byte budget with LRU eviction; what leaves RAM is written to disk (unless it is
// already there). Snapshots carry a priority: the tools+system prefix (Priority::stable_prefix)
// is evicted last. Disk files carry a header (format version, model fingerprint, token ids,
// checksum), are written atomically with 0600 permissions in a 0700 folder, are named by a hash
// of their tokens, and a file that does not match or is corrupt is never loaded (logged, removed).
// Not thread-safe: the engine thread owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/tokens.hpp"

namespace anyclaude::engine {

enum class Tier { none, live, ram, disk };
const char* to_string(Tier t);

enum class Priority { normal = 0, checkpoint = 1, stable_prefix = 2 };

struct CacheOptions {
    std::size_t ram_budget_bytes = 2048ull << 20;
    std::string disk_dir;                          // "" -> no disk tier
    std::size_t disk_budget_bytes = 20480ull << 20;  // oldest files removed past this
    std::string model_fingerprint;                 // files for other models are never loaded
};

struct CacheMatch {
    std::size_t length = 0;  // tokens of the prompt covered
    Tier tier = Tier::none;
    int seq = -1;            // Tier::live: the sequence holding them
    uint64_t snapshot_id = 0;  // Tier::ram / Tier::disk: which snapshot (for load())
};

struct CacheStats {
    std::size_t ram_bytes = 0, ram_snapshots = 0;
    std::size_t disk_bytes = 0, disk_files = 0;
    uint64_t disk_writes = 0, disk_loads = 0, disk_rejected = 0, ram_evictions = 0;
    uint64_t disk_write_failures = 0;  // writes that failed (disk full, read-only, folder gone)
};

class PromptCache {
public:
    explicit PromptCache(CacheOptions opt);  // scans disk_dir: indexes valid files, removes bad ones

    // The disk tier's layout: one folder per model fingerprint under the cache folder `root`,
    // so two models sharing a cache folder never remove each other's files. Creates `root`
    // (0700) when it is missing and returns the model's folder, which the constructor creates.
    static std::string model_folder(const std::string& root, const std::string& model_fingerprint);
    ~PromptCache();
    PromptCache(const PromptCache&) = delete;
    PromptCache& operator=(const PromptCache&) = delete;

    // ---- live sequences (the engine keeps these in sync with llama's memory) ----
    void set_live(int seq, const Tokens& tokens);  // seq now holds exactly these tokens
    void drop_live(int seq);                        // seq is empty
    const Tokens* live_tokens(int seq) const;       // nullptr when empty/unknown

    // ---- lookup ----
    // Deepest prefix of prompt held anywhere. Among equal lengths prefers live, then ram, then
    // disk. exclude_seq: a live sequence not to return (e.g. the one being reused).
    CacheMatch find(const Tokens& prompt, int exclude_seq = -1) const;

    // ---- snapshots ----
    // Stores a snapshot of a sequence holding exactly `tokens`. Replaces a snapshot of the same
    // tokens; a snapshot whose tokens are a strict prefix of another snapshot of equal or higher
    // priority may be dropped. May evict other snapshots from RAM to disk to stay in budget.
    // Returns the snapshot id.
    uint64_t put(const Tokens& tokens, std::vector<uint8_t> state, Priority prio);
    // Writes the snapshot to disk now (if not there yet); e.g. for stable prefixes and at shutdown.
    bool persist(uint64_t snapshot_id);
    // Writes every RAM snapshot of at least that priority that is not on disk yet, most valuable
    // first (priority, then most recently used), until the deadline passes.
    struct PersistResult {
        std::size_t written = 0, bytes = 0, left = 0;  // left: not written before the deadline (or failed)
    };
    PersistResult persist_all(Priority at_least,
                              std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());
    // The bytes and tokens of a snapshot found by find(); reads and verifies the disk file when
    // needed (a bad file is removed and nullopt returned). Marks it recently used.
    struct Loaded {
        Tokens tokens;
        std::vector<uint8_t> state;
    };
    std::optional<Loaded> load(uint64_t snapshot_id);

    CacheStats stats() const;
    const CacheOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace anyclaude::engine
