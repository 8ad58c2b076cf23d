// The prompt cache's disk tier (see prompt_cache.hpp for the contract, snapshot_file.hpp for
// the file format): its folder, the scan at start that indexes valid files and removes bad ones,
// writes, and the disk budget.
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "engine/prompt_cache_impl.hpp"
#include "engine/snapshot_file.hpp"

namespace anyclaude::engine {

namespace fs = std::filesystem;

std::string PromptCache::model_folder(const std::string& root, const std::string& model_fingerprint) {
    std::error_code ec;
    if (fs::create_directories(root, ec)) fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace, ec);
    return (fs::path(root) / model_fingerprint).string();
}

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
        if (name.ends_with(kSnapshotTmpSuffix)) {
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

}  // namespace anyclaude::engine
