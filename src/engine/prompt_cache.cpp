// PromptCache: the prompt cache's index (two radix trees: live sequences and snapshots) and its
// RAM tier (see prompt_cache.hpp for the contract; the disk tier is prompt_cache_disk.cpp).
//
// Ranks in the snapshot tree put RAM above disk, then recency, so the tree's top item at a
// point is what find() should return. Eviction (RAM and disk alike) takes the lowest priority
// first, then the least recently used.
#include "engine/prompt_cache.hpp"

#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>
#include <tuple>

#include "engine/prompt_cache_impl.hpp"
#include "engine/snapshot_file.hpp"

namespace anyclaude::engine {

namespace fs = std::filesystem;

const char* to_string(Tier t) {
    switch (t) {
        case Tier::none: return "none";
        case Tier::live: return "live";
        case Tier::ram: return "ram";
        case Tier::disk: return "disk";
    }
    return "?";
}

void PromptCache::Impl::evict_from_ram(Snapshot& s) {
    ++st.ram_evictions;
    write_to_disk(s);
    if (!s.on_disk) {  // no disk tier, or the write failed: nowhere left to keep it
        drop(s.id);
        return;
    }
    free_ram(s);
    rerank(s);
}

void PromptCache::Impl::enforce_ram_budget() {
    while (st.ram_bytes > opt.ram_budget_bytes) {
        Snapshot* victim = first_to_evict([](const Snapshot& s) { return s.in_ram; });
        if (!victim) return;
        evict_from_ram(*victim);
    }
}

// ---------------------------------------------------------------------------------------------
// Storing

// Removes a snapshot being replaced by one of the same tokens and returns its entry for reuse.
// Its file is kept when it carries the same priority: the states of identical tokens are
// interchangeable, and a stable prefix put again every turn is then not rewritten every turn.
Snapshot PromptCache::Impl::take_over(uint64_t id, Priority prio) {
    Snapshot& old = snaps.at(id);
    if (old.on_disk && old.file_prio != prio) delete_file(old);
    free_ram(old);
    Snapshot s = std::move(old);
    snap_tree.erase(id);
    snaps.erase(id);
    return s;
}

uint64_t PromptCache::Impl::add(const Tokens& tokens, std::vector<uint8_t> state, Priority prio) {
    // The same tokens again: this replaces that snapshot, keeping the higher priority.
    std::optional<uint64_t> same;
    if (auto ids = snap_tree.exact(tokens); !ids.empty()) same = ids.front();
    Priority effective = same ? std::max(prio, snaps.at(*same).prio) : prio;

    // A normal snapshot is redundant when one in RAM extends it: restoring that one and
    // truncating gives the same state. (Not so for a longer one on disk only: this one is
    // faster to restore.) Checkpoints and the stable prefix are kept: small, evicted last.
    if (effective == Priority::normal) {
        if (auto longer = snap_tree.best_extension(tokens); longer && snaps.at(*longer).in_ram) {
            if (same) drop(*same);
            touch(snaps.at(*longer));
            return *longer;
        }
    }

    Snapshot s;
    if (same) {
        s = take_over(*same, effective);
    } else if (disk_ok) {
        s.file = snapshot_file_name(opt.model_fingerprint, tokens);
    }
    // Normal snapshots that this one extends are now redundant.
    for (uint64_t id : snap_tree.strict_prefixes(tokens))
        if (snaps.at(id).prio == Priority::normal) drop(id);

    s.id = next_id++;
    s.prio = effective;
    s.last_used = ++clock;
    if (s.on_disk) file_owner[s.file] = s.id;
    auto& stored = snaps[s.id] = std::move(s);
    keep_in_ram(stored, std::move(state));
    snap_tree.insert(stored.id, tokens, rank(stored));
    uint64_t id = stored.id;
    if (stored.state_bytes > opt.ram_budget_bytes)
        evict_from_ram(stored);  // larger than the whole budget: straight to disk, others stay
    else
        enforce_ram_budget();
    return id;
}

// ---------------------------------------------------------------------------------------------
// Public interface

PromptCache::PromptCache(CacheOptions opt) : impl_(std::make_unique<Impl>(std::move(opt))) {
    impl_->open_disk_tier();
}

PromptCache::~PromptCache() = default;

void PromptCache::set_live(int seq, const Tokens& tokens) {
    if (tokens.empty()) return drop_live(seq);
    impl_->live[seq] = tokens;
    impl_->live_tree.insert(live_key(seq), tokens, ++impl_->clock);
}

void PromptCache::drop_live(int seq) {
    impl_->live.erase(seq);
    impl_->live_tree.erase(live_key(seq));
}

const Tokens* PromptCache::live_tokens(int seq) const {
    auto it = impl_->live.find(seq);
    return it == impl_->live.end() ? nullptr : &it->second;
}

CacheMatch PromptCache::find(const Tokens& prompt, int exclude_seq) const {
    std::optional<uint64_t> exclude;
    if (impl_->live.count(exclude_seq)) exclude = live_key(exclude_seq);
    CacheMatch best;
    if (auto hit = impl_->live_tree.longest(prompt, exclude)) best = {hit->length, Tier::live, live_seq(hit->key), 0};
    if (auto hit = impl_->snap_tree.longest(prompt); hit && hit->length > best.length) {
        const Snapshot& s = impl_->snaps.at(hit->key);
        best = {hit->length, s.in_ram ? Tier::ram : Tier::disk, -1, s.id};
    }
    return best;
}

uint64_t PromptCache::put(const Tokens& tokens, std::vector<uint8_t> state, Priority prio) {
    return impl_->add(tokens, std::move(state), prio);
}

bool PromptCache::persist(uint64_t snapshot_id) {
    auto it = impl_->snaps.find(snapshot_id);
    return it != impl_->snaps.end() && impl_->write_to_disk(it->second);
}

PromptCache::PersistResult PromptCache::persist_all(Priority at_least, std::chrono::steady_clock::time_point deadline) {
    // Most valuable first, in case the disk budget, the disk itself or the time runs out.
    std::vector<const Snapshot*> todo;
    for (const auto& [id, s] : impl_->snaps)
        if (s.prio >= at_least && !s.on_disk && s.in_ram) todo.push_back(&s);
    std::sort(todo.begin(), todo.end(), [](const Snapshot* a, const Snapshot* b) { return evict_before(*b, *a); });
    std::vector<std::pair<uint64_t, std::size_t>> ids;
    for (const Snapshot* s : todo) ids.emplace_back(s->id, s->state.size());
    PersistResult r;
    for (const auto& [id, bytes] : ids) {
        if (std::chrono::steady_clock::now() >= deadline || !persist(id)) {
            ++r.left;
            continue;
        }
        ++r.written;
        r.bytes += bytes;
    }
    return r;
}

std::optional<PromptCache::Loaded> PromptCache::load(uint64_t snapshot_id) {
    auto it = impl_->snaps.find(snapshot_id);
    if (it == impl_->snaps.end()) return std::nullopt;
    Snapshot& s = it->second;
    impl_->touch(s);
    Tokens tokens = impl_->tokens_of(s);
    if (s.in_ram) return Loaded{std::move(tokens), s.state};

    const std::string path = impl_->path_of(s);
    auto state = read_snapshot_state(path, impl_->opt.model_fingerprint, tokens);
    if (!state) {
        spdlog::warn("prompt cache: removing {}: {}", path, state.error());
        ++impl_->st.disk_rejected;
        impl_->drop(snapshot_id);
        return std::nullopt;
    }
    ++impl_->st.disk_loads;
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // recency survives a restart (best effort)
    Loaded out{std::move(tokens), std::move(*state)};
    if (out.state.size() <= impl_->opt.ram_budget_bytes) {  // back into RAM; others may leave
        impl_->keep_in_ram(s, out.state);
        impl_->rerank(s);
        impl_->enforce_ram_budget();
    }
    return out;
}

CacheStats PromptCache::stats() const { return impl_->st; }
const CacheOptions& PromptCache::options() const { return impl_->opt; }

}  // namespace anyclaude::engine
