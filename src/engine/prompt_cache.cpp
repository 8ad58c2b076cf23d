// PromptCache: the prompt cache's index (two radix trees: live sequences and snapshots) and its
// RAM and disk tiers (see prompt_cache.hpp for the contract, snapshot_file.hpp for the format).
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

#include "engine/radix_tree.hpp"
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

namespace {

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

constexpr uint64_t k_rank_ram = 2ull << 62;
constexpr uint64_t k_rank_disk = 1ull << 62;

uint64_t live_key(int seq) { return static_cast<uint32_t>(seq); }
int live_seq(uint64_t key) { return static_cast<int>(static_cast<uint32_t>(key)); }

// Eviction order: lowest priority first, then least recently used.
bool evict_before(const Snapshot& a, const Snapshot& b) {
    return std::tie(a.prio, a.last_used) < std::tie(b.prio, b.last_used);
}

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace

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
    static uint64_t rank(const Snapshot& s) { return (s.in_ram ? k_rank_ram : k_rank_disk) | s.last_used; }
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

// ---------------------------------------------------------------------------------------------
// Disk tier setup

void PromptCache::Impl::open_disk_tier() {
    if (opt.disk_dir.empty()) return;
    fs::path dir = fs::path(opt.disk_dir).lexically_normal();
    if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();  // "a/b/" -> "a/b"
    opt.disk_dir = dir.string();

    std::error_code ec;
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (::mkdir(opt.disk_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        spdlog::warn("prompt cache: no disk tier: cannot create {}: {}", opt.disk_dir, errno_text(errno));
        return;
    }
    struct stat info {};
    if (::stat(opt.disk_dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        spdlog::warn("prompt cache: no disk tier: {} is not a folder", opt.disk_dir);
        return;
    }
    if ((info.st_mode & 07777) != 0700 && ::chmod(opt.disk_dir.c_str(), 0700) != 0)
        spdlog::warn("prompt cache: cannot set {} to 0700: {}", opt.disk_dir, errno_text(errno));
    disk_ok = true;
    scan_disk_tier();
}

void PromptCache::Impl::scan_disk_tier() {
    struct Found {
        fs::file_time_type mtime;
        std::string name;
        SnapshotFileHeader header;
    };
    std::vector<Found> found;
    std::error_code ec;
    for (fs::directory_iterator it(opt.disk_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const std::string path = it->path().string();
        std::error_code stat_ec;
        if (it->symlink_status(stat_ec).type() != fs::file_type::regular || stat_ec) continue;
        if (name.ends_with(k_snapshot_tmp_suffix)) {
            spdlog::info("prompt cache: removing unfinished {}", path);
            ::unlink(path.c_str());
            continue;
        }
        if (!is_snapshot_file_name(name)) continue;  // not ours: left alone
        auto header = read_snapshot_header(path, opt.model_fingerprint);
        std::string problem = header ? "" : header.error();
        if (header && snapshot_file_name(opt.model_fingerprint, header->tokens) != name)
            problem = "name does not match its tokens";
        if (!problem.empty()) {
            spdlog::warn("prompt cache: removing {}: {}", path, problem);
            ::unlink(path.c_str());
            ++st.disk_rejected;
            continue;
        }
        found.push_back({fs::last_write_time(it->path(), stat_ec), name, std::move(*header)});
    }
    if (ec) spdlog::warn("prompt cache: cannot list {}: {}", opt.disk_dir, ec.message());

    // Oldest first, so recency carries over from the files' modification times.
    std::sort(found.begin(), found.end(),
              [](const Found& a, const Found& b) { return std::tie(a.mtime, a.name) < std::tie(b.mtime, b.name); });
    for (Found& f : found) {
        Snapshot s;
        s.id = next_id++;
        s.prio = f.header.priority;
        s.last_used = ++clock;
        s.state_bytes = f.header.state_bytes;
        s.file = f.name;
        auto& stored = snaps[s.id] = std::move(s);
        note_file(stored, f.header.file_bytes, stored.prio);
        snap_tree.insert(stored.id, f.header.tokens, rank(stored));
        Tokens().swap(f.header.tokens);
    }
    enforce_disk_budget();
    if (!snaps.empty() || st.disk_rejected > 0)
        spdlog::info("prompt cache: {} snapshot files ({} bytes) in {}, {} removed", st.disk_files, st.disk_bytes,
                     opt.disk_dir, st.disk_rejected);
}

// ---------------------------------------------------------------------------------------------
// Moving between tiers

bool PromptCache::Impl::write_to_disk(Snapshot& s) {
    if (s.on_disk) return true;
    if (!disk_ok || !s.in_ram) return false;
    auto owner = file_owner.find(s.file);
    if (owner != file_owner.end() && owner->second != s.id) {
        spdlog::warn("prompt cache: not writing snapshot {}: {} belongs to another snapshot", s.id, s.file);
        return false;
    }
    const Tokens tokens = tokens_of(s);
    auto written = write_snapshot_file(opt.disk_dir, s.file, opt.model_fingerprint, s.prio, tokens, s.state);
    if (!written) {
        spdlog::warn("prompt cache: snapshot of {} tokens not saved: {}", tokens.size(), written.error());
        ++st.disk_write_failures;
        return false;
    }
    ++st.disk_writes;
    note_file(s, *written, s.prio);
    enforce_disk_budget();  // may remove this very file; s stays (it is in RAM)
    return s.on_disk;
}

void PromptCache::Impl::enforce_disk_budget() {
    while (st.disk_bytes > opt.disk_budget_bytes) {
        Snapshot* victim = first_to_evict([](const Snapshot& s) { return s.on_disk; });
        if (!victim) return;
        delete_file(*victim);
        if (!victim->in_ram) drop(victim->id);
    }
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

std::string PromptCache::model_folder(const std::string& root, const std::string& model_fingerprint) {
    std::error_code ec;
    if (fs::create_directories(root, ec)) fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace, ec);
    return (fs::path(root) / model_fingerprint).string();
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
