// Claude Code's first-run state (see claude_state.hpp).
#include "app/claude_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/json.hpp"

namespace anyclaude::app {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
}

// Claude Code stores an approved key as its last 20 characters after trimming (IOe()).
std::string key_suffix(const std::string& key) {
    auto b = key.find_first_not_of(" \t\r\n");
    auto e = key.find_last_not_of(" \t\r\n");
    std::string t = b == std::string::npos ? std::string() : key.substr(b, e - b + 1);
    return t.size() > 20 ? t.substr(t.size() - 20) : t;
}

bool holds(const bj::value* list, const std::string& s) {
    if (!list || !list->is_array()) return false;
    const auto& a = list->get_array();
    return std::any_of(a.begin(), a.end(), [&](const bj::value& v) { return v.is_string() && v.get_string() == s; });
}

// Adds the key to customApiKeyResponses.approved unless it is there or was rejected.
void approve_key(bj::object& o, const std::string& suffix, StateMerge& m) {
    bj::value* responses = o.if_contains("customApiKeyResponses");
    if (!responses) {
        o["customApiKeyResponses"] = bj::object{{"approved", bj::array{bj::string(suffix)}}, {"rejected", bj::array{}}};
        m.written.push_back("the gateway's key approved");
        return;
    }
    if (!responses->is_object()) return;  // not Claude Code's shape: left as it is
    auto& r = responses->get_object();
    if (holds(r.if_contains("approved"), suffix)) return;
    if (holds(r.if_contains("rejected"), suffix)) {
        m.note = "you rejected the gateway's key in Claude Code before; it stays rejected";
        return;
    }
    bj::value* approved = r.if_contains("approved");
    if (approved && !approved->is_array()) return;
    if (!approved) approved = &(r["approved"] = bj::array{});
    approved->get_array().emplace_back(bj::string(suffix));
    m.written.push_back("the gateway's key approved");
}

std::string read_file(const fs::path& p, bool* exists) {
    std::ifstream f(p, std::ios::binary);
    *exists = static_cast<bool>(f);
    std::stringstream ss;
    if (f) ss << f.rdbuf();
    return ss.str();
}

// Writes text to a temporary file beside target and renames it over target.
std::string write_atomically(const fs::path& target, const std::string& text, mode_t mode) {
    fs::path tmp = target;
    tmp += ".anyclaude-" + std::to_string(::getpid()) + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return std::strerror(errno);
    std::string err;
    std::size_t done = 0;
    while (done < text.size() && err.empty()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno != EINTR) err = std::strerror(errno);
        if (n > 0) done += static_cast<std::size_t>(n);
    }
    if (err.empty() && ::fsync(fd) != 0) err = std::strerror(errno);
    if (::close(fd) != 0 && err.empty()) err = std::strerror(errno);
    if (err.empty() && ::rename(tmp.c_str(), target.c_str()) != 0) err = std::strerror(errno);
    if (!err.empty()) ::unlink(tmp.c_str());
    return err;
}

}  // namespace

std::string claude_state_path() {
    const char* dir = env("CLAUDE_CONFIG_DIR");
    const char* home = env("HOME");
    fs::path base = dir ? fs::path(dir) : fs::path(home ? home : "/tmp");
    fs::path current = base / ".claude.json";
    fs::path config_dir = dir ? fs::path(dir) : base / ".claude";
    fs::path legacy = config_dir / ".config.json";
    std::error_code ec;
    if (!fs::exists(current, ec) && fs::is_regular_file(legacy, ec) && fs::file_size(legacy, ec) > 0)
        return legacy.string();
    return current.string();
}

StateMerge merge_first_run_state(std::string_view existing, const std::string& api_key) {
    StateMerge m;
    bj::value doc = bj::object{};
    if (existing.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        auto parsed = json::parse(existing, 512);
        if (!parsed.ok() || !parsed.value.is_object()) {
            m.error = parsed.ok() ? "it is not a JSON object" : "it is not valid JSON (" + parsed.error + ")";
            return m;
        }
        doc = std::move(parsed.value);
    }
    auto& o = doc.get_object();
    if (!o.contains("hasCompletedOnboarding")) {
        o["hasCompletedOnboarding"] = true;
        m.written.push_back("onboarding done");
    }
    if (!api_key.empty()) approve_key(o, key_suffix(api_key), m);
    if (!m.written.empty()) m.text = json::to_text(doc) + "\n";
    return m;
}

std::string ensure_first_run_state(const std::string& path, const std::string& api_key) {
    std::error_code ec;
    fs::path target = path;
    if (fs::is_symlink(target, ec)) target = fs::weakly_canonical(target, ec);
    bool exists = false;
    std::string text = read_file(target, &exists);
    if (!exists && fs::exists(target, ec))
        return "anyclaude: cannot read " + path + "; Claude Code's first-run screens may need the network";
    StateMerge m = merge_first_run_state(text, api_key);
    if (!m.error.empty())
        return "anyclaude: left " + path + " alone: " + m.error + "; Claude Code's first-run screens may need the network";
    std::string line;
    if (!m.text.empty()) {
        struct stat st {};
        mode_t mode = exists && ::stat(target.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0600;
        if (auto err = write_atomically(target, m.text, mode); !err.empty())
            return "anyclaude: cannot write " + path + ": " + err + "; Claude Code's first-run screens may need the network";
        line = "anyclaude: Claude Code first-run state in " + path + " (so it starts offline):";
        for (std::size_t i = 0; i < m.written.size(); ++i) line += (i ? ", " : " ") + m.written[i];
    }
    if (!m.note.empty()) line += (line.empty() ? "anyclaude: " : "; ") + m.note;
    return line;
}

}  // namespace anyclaude::app
