// The one-command launcher (see launcher.hpp).
#include "app/launcher.hpp"

#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "app/server_runner.hpp"
#include "common/json.hpp"
#include "http/client.hpp"

extern char** environ;

namespace anyclaude::app {

namespace fs = std::filesystem;

namespace {

bool is_executable(const fs::path& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); }

// True when an anyclaude gateway with the same mode and backend answers /health on port.
bool healthy_gateway_on(unsigned short port, const Config& cfg) {
    net::io_context ioc;
    bool ok = false;
    auto url = http::Url::parse("http://127.0.0.1:" + std::to_string(port));
    net::co_spawn(
        ioc,
        [&]() -> awaitable<void> {
            http::OutgoingRequest req;
            req.method = bhttp::verb::get;
            req.path = "/health";
            http::ClientTimeouts t;
            t.connect = std::chrono::milliseconds(500);
            t.first_byte = std::chrono::milliseconds(1000);
            auto sent = co_await http::send_request(*url, std::move(req), t);
            if (!sent.response) co_return;
            auto body = co_await sent.response->read_all();
            auto parsed = json::parse(body);
            if (sent.response->status() != 200 || !parsed.ok() || !parsed.value.is_object()) co_return;
            const auto& o = parsed.value.get_object();
            auto* name = json::find_string(o, "name");
            auto* mode = json::find_string(o, "mode");
            auto* backend = json::find_string(o, "backend");
            auto want = http::Url::parse(effective_backend_url(cfg));
            ok = name && *name == "anyclaude" && mode && *mode == cfg.mode && backend && want &&
                 std::string(*backend).find(want->to_string()) != std::string::npos;
        },
        net::detached);
    ioc.run_for(std::chrono::seconds(2));
    return ok;
}

std::string default_log_file() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    fs::path dir = xdg ? fs::path(xdg) / "anyclaude" : fs::path(home ? home : "/tmp") / ".cache" / "anyclaude";
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    return (dir / "gateway.log").string();
}

}  // namespace

std::string find_claude_binary(const std::string& self_path) {
    if (const char* p = std::getenv("ANYCLAUDE_CLAUDE_BIN"); p && *p) return p;
    std::error_code ec;
    fs::path self = fs::weakly_canonical(self_path, ec);
    for (fs::path dir = self.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
        fs::path candidate = dir / "node_modules" / ".bin" / "claude";
        if (is_executable(candidate)) return candidate.string();
    }
    if (const char* path = std::getenv("PATH")) {
        std::string all(path);
        std::size_t pos = 0;
        while (pos <= all.size()) {
            auto end = all.find(':', pos);
            std::string dir = all.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
            if (!dir.empty() && is_executable(fs::path(dir) / "claude")) return (fs::path(dir) / "claude").string();
            if (end == std::string::npos) break;
            pos = end + 1;
        }
    }
    return {};
}

int launch_claude(Config cfg, const std::vector<std::string>& claude_args, const std::string& self_path) {
    std::string claude = find_claude_binary(self_path);
    if (claude.empty()) {
        spdlog::error("Claude Code not found: install it (npm install @anthropic-ai/claude-code) or set ANYCLAUDE_CLAUDE_BIN");
        return 127;
    }

    std::unique_ptr<RunningServer> own;
    std::string base_url;
    if (cfg.port != 0 && healthy_gateway_on(cfg.port, cfg)) {
        base_url = "http://127.0.0.1:" + std::to_string(cfg.port);
        spdlog::info("reusing the anyclaude gateway at {}", base_url);
    } else {
        Config server_cfg = cfg;
        server_cfg.host = "127.0.0.1";
        server_cfg.port = 0;  // a free loopback port
        if (server_cfg.log_file.empty()) server_cfg.log_file = default_log_file();
        setup_logging(server_cfg);  // Claude Code owns the terminal: the gateway logs to a file
        try {
            own = std::make_unique<RunningServer>(server_cfg);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "anyclaude: cannot start the gateway: %s\n", e.what());
            return 2;
        }
        base_url = own->base_url();
    }

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        auto name = kv.substr(0, kv.find('='));
        if (name == "ANTHROPIC_BASE_URL" || name == "ANTHROPIC_API_KEY" || name == "ANTHROPIC_AUTH_TOKEN") continue;
        env_strings.push_back(std::move(kv));
    }
    env_strings.push_back("ANTHROPIC_BASE_URL=" + base_url);
    env_strings.push_back("ANTHROPIC_API_KEY=" + (cfg.api_key.empty() ? std::string("anyclaude-local") : cfg.api_key));
    if (!std::getenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"))
        env_strings.push_back("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1");

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(claude.c_str()));
    for (const auto& a : claude_args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);

    // The terminal's Ctrl-C goes to Claude Code (same process group); we wait for it to exit.
    struct sigaction ignore {}, old_int {}, old_term {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int);
    pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, &old_int, nullptr);
        execve(claude.c_str(), argv.data(), envp.data());
        std::fprintf(stderr, "anyclaude: cannot run %s: %s\n", claude.c_str(), std::strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        std::fprintf(stderr, "anyclaude: fork failed: %s\n", std::strerror(errno));
        return 127;
    }
    // Forward SIGTERM to Claude Code.
    static pid_t child = 0;
    child = pid;
    struct sigaction fwd {};
    fwd.sa_handler = [](int sig) {
        if (child > 0) kill(child, sig);
    };
    sigaction(SIGTERM, &fwd, &old_term);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    if (own) own->stop();
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

}  // namespace anyclaude::app
