// Internal to the prompt cache (prompt_cache.cpp: index and RAM tier; prompt_cache_disk.cpp:
// the disk tier): a snapshot's record and the cache's hidden state. Not for other files.
#pragma once

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "engine/prompt_cache.hpp"
#include "engine/radix_tree.hpp"

namespace anyclaude::engine {

namespace prompt_cache_detail {

// A snapshot's tokens live in the snapshot tree only (RadixTree::tokens_of): a disk tier of
// thousands of files would otherwise keep a second copy of every file's tokens in RAM.
struct Snapshot {
    uint64_t id = 0;
    Priority prio = Priority::normal;
    uint64_t last_used = 0;
    std::size_t state_bytes = 0;      // size of the state, wherever it is
    bool in_ram = false;
    std::vector<uint8_t> state;       // when in_ram
    std::string file;                 // file name in the disk folder ("" without a disk tier)
    bool on_disk = false;
    std::size_t file_bytes = 0;       // when on_disk
    Priority file_prio = Priority::normal;  // the priority written in the file
};

constexpr uint64_t kRankRam = 2ull << 62;
constexpr uint64_t kRankDisk = 1ull << 62;

inline uint64_t live_key(int seq) { return static_cast<uint32_t>(seq); }
inline int live_seq(uint64_t key) { return static_cast<int>(static_cast<uint32_t>(key)); }

// Eviction order: lowest priority first, then least recently used.
inline bool evict_before(const Snapshot& a, const Snapshot& b) {
    return std::tie(a.prio, a.last_used) < std::tie(b.prio, b.last_used);
}

inline std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace prompt_cache_detail

using prompt_cache_detail::Snapshot;
using prompt_cache_detail::errno_text;
using prompt_cache_detail::evict_before;
using prompt_cache_detail::kRankDisk;
using prompt_cache_detail::kRankRam;
using prompt_cache_detail::live_key;
using prompt_cache_detail::live_seq;

struct PromptCache::Impl {
    CacheOptions opt;
    bool disk_ok = false;
    RadixTree live_tree, snap_tree;
    std::map<int, Tokens> live;
    std::map<uint64_t, Snapshot> snaps;
    std::map<std::string, uint64_t> file_owner;  // file on disk -> snapshot id
    uint64_t next_id = 1, clock = 0;
    CacheStats st;

    explicit Impl(CacheOptions o) : opt(std::move(o)) {}

    std::string path_of(const Snapshot& s) const { return opt.disk_dir + "/" + s.file; }
    Tokens tokens_of(const Snapshot& s) const { return snap_tree.tokens_of(s.id); }
    static uint64_t rank(const Snapshot& s) { return (s.in_ram ? kRankRam : kRankDisk) | s.last_used; }
    void rerank(const Snapshot& s) { snap_tree.set_rank(s.id, rank(s)); }
    void touch(Snapshot& s) {
        s.last_used = ++clock;
        rerank(s);
    }

    // ---- bookkeeping of the tiers (keeps the stats' sizes exact) ----
    void keep_in_ram(Snapshot& s, std::vector<uint8_t> state) {
        if (s.in_ram) free_ram(s);
        s.state = std::move(state);
        s.state_bytes = s.state.size();
        s.in_ram = true;
        st.ram_bytes += s.state_bytes;
        ++st.ram_snapshots;
    }
    void free_ram(Snapshot& s) {
        if (!s.in_ram) return;
        st.ram_bytes -= s.state.size();
        --st.ram_snapshots;
        std::vector<uint8_t>().swap(s.state);  // `= {}` would keep the buffer allocated
        s.in_ram = false;
    }
    void note_file(Snapshot& s, std::size_t bytes, Priority prio) {
        s.on_disk = true;
        s.file_bytes = bytes;
        s.file_prio = prio;
        st.disk_bytes += bytes;
        ++st.disk_files;
        file_owner[s.file] = s.id;
    }
    void delete_file(Snapshot& s) {
        if (!s.on_disk) return;
        if (::unlink(path_of(s).c_str()) != 0 && errno != ENOENT)
            spdlog::warn("prompt cache: cannot remove {}: {}", path_of(s), errno_text(errno));
        st.disk_bytes -= s.file_bytes;
        --st.disk_files;
        file_owner.erase(s.file);
        s.on_disk = false;
        s.file_bytes = 0;
    }
    // Forgets a snapshot entirely (RAM, file, index).
    void drop(uint64_t id) {
        auto it = snaps.find(id);
        if (it == snaps.end()) return;
        free_ram(it->second);
        delete_file(it->second);
        snap_tree.erase(id);
        snaps.erase(it);
    }

    // ---- disk ----
    void open_disk_tier();
    void scan_disk_tier();
    bool write_to_disk(Snapshot& s);
    void enforce_disk_budget();
    void enforce_ram_budget();
    void evict_from_ram(Snapshot& s);
    template <class Pred>
    Snapshot* first_to_evict(Pred eligible) {
        Snapshot* victim = nullptr;
        for (auto& [id, s] : snaps)
            if (eligible(s) && (!victim || evict_before(s, *victim))) victim = &s;
        return victim;
    }

    uint64_t add(const Tokens& tokens, std::vector<uint8_t> state, Priority prio);
    Snapshot take_over(uint64_t id, Priority prio);
};

}  // namespace anyclaude::engine
