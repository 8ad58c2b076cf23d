// The one-command launcher (see launcher.hpp).
#include "app/launcher.hpp"

#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "app/claude_state.hpp"
#include "app/server_runner.hpp"
#include "common/json.hpp"
#include "http/client.hpp"

extern char** environ;

namespace anyclaude::app {

namespace fs = std::filesystem;

namespace {

bool is_executable(const fs::path& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); }

struct HttpAnswer {
    unsigned status = 0;  // 0: no answer (error says why)
    std::string body;
    std::string error;
};

// GET base_url + path on a loopback gateway, bounded by `limit` in all.
HttpAnswer http_get(const std::string& base_url, const std::string& path, const std::string& api_key,
                    std::chrono::milliseconds limit) {
    net::io_context ioc;
    HttpAnswer out;
    out.error = "no answer within " + std::to_string(limit.count()) + " ms";
    auto url = http::Url::parse(base_url);
    if (!url) return {0, {}, "bad URL " + base_url};
    net::co_spawn(
        ioc,
        [&]() -> awaitable<void> {
            http::OutgoingRequest req;
            req.method = bhttp::verb::get;
            req.path = path;
            if (!api_key.empty()) req.headers.push_back({"x-api-key", api_key});
            http::ClientTimeouts t;
            t.connect = std::chrono::milliseconds(500);
            t.first_byte = limit;
            auto sent = co_await http::send_request(*url, std::move(req), t);
            if (!sent.response) {
                out.error = sent.error;
                co_return;
            }
            out.body = co_await sent.response->read_all();
            out.status = sent.response->status();
            out.error.clear();
        },
        net::detached);
    ioc.run_for(limit + std::chrono::milliseconds(500));
    return out;
}

// True when an anyclaude gateway with the same mode and backend answers /health on port.
bool healthy_gateway_on(unsigned short port, const Config& cfg) {
    auto got = http_get("http://127.0.0.1:" + std::to_string(port), "/health", cfg.api_key, std::chrono::seconds(1));
    auto parsed = json::parse(got.body);
    if (got.status != 200 || !parsed.ok() || !parsed.value.is_object()) return false;
    const auto& o = parsed.value.get_object();
    auto* name = json::find_string(o, "name");
    auto* mode = json::find_string(o, "mode");
    auto* backend = json::find_string(o, "backend");
    auto want = http::Url::parse(effective_backend_url(cfg));
    return name && *name == "anyclaude" && mode && *mode == cfg.mode && backend && want &&
           std::string(*backend).find(want->to_string()) != std::string::npos;
}

std::string default_log_file() {
    fs::path dir = cache_root();
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    return (dir / "gateway.log").string();
}

// The gateway Claude Code talks to: one already running on the configured port, or our own.
struct GatewayEndpoint {
    std::string base_url;
    std::string log_file;  // "" when unknown (a gateway started elsewhere)
    std::unique_ptr<RunningServer> own;
    std::string error;
};

GatewayEndpoint open_gateway(const Config& cfg) {
    GatewayEndpoint g;
    if (cfg.port != 0 && healthy_gateway_on(cfg.port, cfg)) {
        g.base_url = "http://127.0.0.1:" + std::to_string(cfg.port);
        g.log_file = cfg.log_file;
        spdlog::info("reusing the anyclaude gateway at {}", g.base_url);
        return g;
    }
    Config server_cfg = cfg;
    server_cfg.host = "127.0.0.1";
    server_cfg.port = 0;  // a free loopback port
    if (server_cfg.log_file.empty()) server_cfg.log_file = default_log_file();
    if (server_cfg.request_log.empty())  // one JSON line per request, beside the gateway's log
        server_cfg.request_log = (fs::path(server_cfg.log_file).parent_path() / "requests.jsonl").string();
    setup_logging(server_cfg);  // Claude Code owns the terminal: the gateway logs to a file
    try {
        g.own = std::make_unique<RunningServer>(server_cfg);
    } catch (const std::exception& e) {
        g.error = e.what();
        return g;
    }
    g.base_url = g.own->base_url();
    g.log_file = server_cfg.log_file;
    return g;
}

// GET /health/backend; nullopt when the gateway does not answer it (*why says what happened).
std::optional<BackendReport> fetch_backend_report(const std::string& base_url, const std::string& key,
                                                  std::string* why) {
    // The gateway probes the backend with short timeouts of its own; this bounds the whole call.
    auto got = http_get(base_url, "/health/backend", key, std::chrono::seconds(20));
    if (got.status != 200) {
        *why = got.status ? "GET /health/backend answered " + std::to_string(got.status) : got.error;
        return std::nullopt;
    }
    return parse_backend_report(got.body, why);
}

void say(const std::string& line) {
    if (!line.empty()) std::fprintf(stderr, "%s\n", line.c_str());
}

// Checks the backend and decides Claude Code's variables. Returns 0 to go on, else the exit code.
int prepare_session(const Config& cfg, const GatewayEndpoint& gw, const std::string& key,
                    std::vector<std::pair<std::string, std::string>>* set) {
    std::string why;
    auto report = fetch_backend_report(gw.base_url, key, &why);
    if (report) {
        auto lines = backend_problem(*report, effective_backend_url(cfg));
        for (const auto& l : lines) say(l);
        if (!lines.empty()) return 2;
    } else {
        spdlog::warn("no backend report from {}: {}", gw.base_url, why);
    }
    ClaudeEnvInput in;
    in.model = report ? report->model : (cfg.mode == "embedded" ? fs::path(cfg.model).filename().string() : cfg.model);
    in.small_model = cfg.mode == "embedded" ? "" : cfg.small_model;
    if (report) {
        in.window = report->context_window;
        in.window_source = report->window_source;
    }
    in.enlarge_hint = enlarge_hint(cfg.mode);
    in.claude_ids = cfg.claude_ids;
    in.allow_small_window = cfg.allow_small_window;
    in.user_env = [](const char* name) { return static_cast<const char*>(std::getenv(name)); };
    auto plan = plan_claude_env(in);
    if (!plan.error.empty()) {
        say(plan.error);
        return 2;
    }
    say(plan.notice);
    say(plan.warning);
    *set = std::move(plan.set);
    return 0;
}

// The user's environment with the gateway's address and key in place of any of their own,
// plus the launcher's defaults (each only where the user did not set the variable).
std::vector<std::string> child_env(const std::string& base_url, const std::string& key,
                                   const std::vector<std::pair<std::string, std::string>>& set) {
    std::vector<std::string> out;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        auto name = kv.substr(0, kv.find('='));
        if (name == "ANTHROPIC_BASE_URL" || name == "ANTHROPIC_API_KEY" || name == "ANTHROPIC_AUTH_TOKEN") continue;
        out.push_back(std::move(kv));
    }
    out.push_back("ANTHROPIC_BASE_URL=" + base_url);
    out.push_back("ANTHROPIC_API_KEY=" + key);
    if (!std::getenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC")) out.push_back("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1");
    for (const auto& [name, value] : set) out.push_back(name + "=" + value);
    return out;
}

// Runs claude with args and env, forwarding SIGTERM; returns its exit status (128+signal).
int run_child(const std::string& claude, const std::vector<std::string>& claude_args, std::vector<std::string>& env) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(claude.c_str()));
    for (const auto& a : claude_args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
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
        sigaction(SIGINT, &old_int, nullptr);
        return 127;
    }
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
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
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

bool talks_to_model(const std::vector<std::string>& args) {
    // Claude Code 2.1.328's subcommands (`claude --help`, plus the hidden self-hosted-runner):
    // none of them sends a prompt. Anything else in first place is an option or a prompt.
    static const char* const kSubcommands[] = {
        "agents", "attach", "auth", "auto-mode", "doctor", "gateway", "import", "install", "logs", "mcp",
        "plugin", "plugins", "purge", "respawn", "rm", "setup-token", "stop", "kill", "ultrareview",
        "update", "upgrade", "self-hosted-runner"};
    static const char* const kInfoFlags[] = {"--help", "-h", "--version", "-v"};
    if (!args.empty() && std::any_of(std::begin(kSubcommands), std::end(kSubcommands),
                                     [&](const char* s) { return args.front() == s; }))
        return false;
    return std::none_of(args.begin(), args.end(), [](const std::string& a) {
        return std::any_of(std::begin(kInfoFlags), std::end(kInfoFlags), [&](const char* f) { return a == f; });
    });
}

bool print_mode(const std::vector<std::string>& args) {
    return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "-p" || a == "--print"; });
}

std::string enlarge_hint(const std::string& mode) {
    struct Hint {
        const char* mode;
        const char* text;
    };
    static const Hint kHints[] = {
        {"embedded", "anyclaude --ctx-size 262144 claude: 4 sequences of 65536 (or ANYCLAUDE_CTX_SIZE=262144; "
                     "--parallel 2 --ctx-size 131072 takes half the memory)"},
        {"lmstudio", "load the model in LM Studio with a larger context length (lms load <model> --context-length 65536)"},
        {"mlx-lm", "serve a model with a longer context (mlx_lm.server serves what the model allows)"},
        {"openai", "restart the server with a larger context (llama-server -c 65536, vllm --max-model-len 65536, Ollama num_ctx 65536)"},
    };
    for (const auto& h : kHints)
        if (mode == h.mode) return h.text;
    return "give the model a larger context";
}

std::vector<std::string> backend_problem(const BackendReport& r, const std::string& backend_url) {
    if (r.reachable && !r.model.empty()) return {};
    std::string problem = r.problem;
    if (problem.empty())
        problem = r.reachable ? "the backend at " + backend_url + " serves no model"
                              : "the backend at " + backend_url + " does not answer";
    std::vector<std::string> out{"anyclaude: " + problem + "; Claude Code not started"};
    if (!r.fix.empty()) out.push_back("anyclaude: fix: " + r.fix);
    return out;
}

int launch_claude(Config cfg, const std::vector<std::string>& claude_args, const std::string& self_path) {
    std::string claude = find_claude_binary(self_path);
    if (claude.empty()) {
        spdlog::error("Claude Code not found: install it (npm install @anthropic-ai/claude-code) or set ANYCLAUDE_CLAUDE_BIN");
        return 127;
    }
    GatewayEndpoint gw = open_gateway(cfg);
    if (!gw.error.empty()) {
        std::fprintf(stderr, "anyclaude: cannot start the gateway: %s\n", gw.error.c_str());
        return 2;
    }
    const std::string key = cfg.api_key.empty() ? std::string("anyclaude-local") : cfg.api_key;
    std::vector<std::pair<std::string, std::string>> set;
    if (talks_to_model(claude_args)) {
        if (int rc = prepare_session(cfg, gw, key, &set); rc != 0) {
            if (gw.own) gw.own->stop();
            return rc;  // refused: no status page to look at
        }
        say("anyclaude: status page " + gw.base_url + "/" + (cfg.api_key.empty() ? "" : " (asks for the API key)"));
        if (!print_mode(claude_args)) say(ensure_first_run_state(claude_state_path(), key));
    }
    auto env = child_env(gw.base_url, key, set);
    int rc = run_child(claude, claude_args, env);
    if (gw.own) gw.own->stop();
    // Claude Code's own message about a failed request rarely says why the backend failed; the
    // gateway's log does (Claude Code owns the terminal, so the gateway logs to a file).
    if (rc > 0 && rc < 128 && talks_to_model(claude_args))
        say("anyclaude: Claude Code exited with status " + std::to_string(rc) + "; the gateway's log: " +
            (gw.log_file.empty() ? "that of the gateway at " + gw.base_url : gw.log_file));
    return rc;
}

}  // namespace anyclaude::app
