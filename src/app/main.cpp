// anyclaude's command line: `serve` runs the gateway, `claude` launches Claude Code against it.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/launcher.hpp"
#include "app/server_runner.hpp"
#include "app/status_command.hpp"

using namespace anyclaude;

namespace {

void print_help() {
    std::printf(
        "anyclaude %s: Claude Code on local models\n\n"
        "usage:\n"
        "  anyclaude [settings] serve              run the gateway (Anthropic Messages API)\n"
        "  anyclaude [settings] claude [args...]   run Claude Code against a gateway; args go to claude\n"
        "  anyclaude [--port N] [--api-key K] status   sessions, cache and last requests of a running gateway\n"
        "  anyclaude --version | --help\n\n"
        "settings (flag / environment / config-file key):\n"
        "  --mode lmstudio|mlx-lm|openai    ANYCLAUDE_MODE (default lmstudio)\n"
        "  --backend-url URL                ANYCLAUDE_BACKEND_URL (lmstudio: LMSTUDIO_URL, default\n"
        "                                   http://localhost:1234/v1; mlx-lm: MLX_LM_URL, default\n"
        "                                   http://localhost:8081/v1; openai: http://localhost:8080/v1)\n"
        "  --backend-key KEY                ANYCLAUDE_BACKEND_KEY (sent as Authorization: Bearer)\n"
        "  --model ID                       ANYCLAUDE_MODEL (opus/sonnet-class requests)\n"
        "  --small-model ID                 ANYCLAUDE_SMALL_MODEL (haiku-class; default: --model)\n"
        "  --host ADDR                      ANYCLAUDE_HOST (default 127.0.0.1)\n"
        "  --port N                         ANYCLAUDE_PORT (default 8082; 0 picks a free port)\n"
        "  --api-key KEY                    ANYCLAUDE_API_KEY (clients must send it)\n"
        "  --port-file FILE                 write the listening port to FILE\n"
        "  --log-level LEVEL                ANYCLAUDE_LOG_LEVEL (trace|debug|info|warn|error|off)\n"
        "  --log-file FILE                  ANYCLAUDE_LOG_FILE\n"
        "  --mid-system auto|keep|user      ANYCLAUDE_MID_SYSTEM: mid-conversation system messages\n"
        "  --strip-billing-header BOOL      ANYCLAUDE_STRIP_BILLING_HEADER (default true)\n"
        "  --max-tokens-cap N               ANYCLAUDE_MAX_TOKENS_CAP (default 32768; 0 = none)\n"
        "  --search-url URL                 ANYCLAUDE_SEARCH_URL: SearXNG instance for web search (JSON format on)\n"
        "  --brave-api-key KEY              ANYCLAUDE_BRAVE_API_KEY: Brave Search for web search\n"
        "  --brave-url URL                  ANYCLAUDE_BRAVE_URL (default the Brave Search API endpoint)\n"
        "  --vision-model ID                ANYCLAUDE_VISION_MODEL: requests carrying images go to this model\n"
        "  --max-body-mb N                  ANYCLAUDE_MAX_BODY_MB (default 32)\n"
        "  --max-concurrent-requests N      ANYCLAUDE_MAX_CONCURRENT_REQUESTS (default 64)\n"
        "  --insecure-bind BOOL             allow a non-loopback --host without --api-key\n"
        "  --request-timeout-ms N           ANYCLAUDE_REQUEST_TIMEOUT_MS: a client must send its whole\n"
        "                                   request within N ms, else 408 (default 30000)\n"
        "  --log-bodies BOOL                ANYCLAUDE_LOG_BODIES: log request bodies and upstream error\n"
        "                                   texts (default false; API keys are never logged)\n"
        "  --record DIR                     ANYCLAUDE_RECORD: record every request (body as received,\n"
        "                                   headers without keys) and its answer to DIR\n"
        "  --record-redact BOOL             ANYCLAUDE_RECORD_REDACT: file contents and paths in the\n"
        "                                   recorded bodies become same-length filler (default false)\n"
        "  --metrics BOOL                   ANYCLAUDE_METRICS: GET /metrics (Prometheus) and the status\n"
        "                                   page's lists at / (default true)\n"
        "  --request-log FILE               ANYCLAUDE_REQUEST_LOG: one JSON line per request (default: none;\n"
        "                                   `claude` writes requests.jsonl beside the gateway's log)\n"
        "several backends (README \"More than one machine\"):\n"
        "  --backend-url URL (repeated)     or URL,URL,...: one conversation stays on one server; the config\n"
        "                                   file's \"backends\" list adds weight, models and key per server\n"
        "  --route-key-header NAME          ANYCLAUDE_ROUTE_KEY_HEADER: conversation key sent upstream\n"
        "                                   (default x-anyclaude-conversation; empty = none)\n"
        "  --route-policy P                 ANYCLAUDE_ROUTE_POLICY: affinity|round-robin|least-loaded\n"
        "  --route-load-slack-pct N         ANYCLAUDE_ROUTE_LOAD_SLACK_PCT: bounded load (default 25)\n"
        "  --health-interval-ms N           ANYCLAUDE_HEALTH_INTERVAL_MS: health checks (default 3000)\n"
        "embedded engine (--model file.gguf):\n"
        "  --ctx-size N, --parallel N, --threads N, --batch N, --gpu-layers N, --flash-attn BOOL,\n"
        "  --chat-template-file FILE        the llama.cpp context (ANYCLAUDE_CTX_SIZE, ...)\n"
        "  --cache-ram-mb N                 ANYCLAUDE_CACHE_RAM_MB: prompt cache RAM tier (default 4096)\n"
        "  --cache-dir DIR|off              ANYCLAUDE_CACHE_DIR: disk tier (default ~/.cache/anyclaude/kv)\n"
        "  --cache-disk-mb N                ANYCLAUDE_CACHE_DISK_MB: disk tier budget (default 20480)\n"
        "  --config FILE                    ANYCLAUDE_CONFIG (default ~/.config/anyclaude/config.json):\n"
        "                                   a JSON object whose keys are the flag names above\n"
        "claude launcher:\n"
        "  --claude-ids BOOL                ANYCLAUDE_CLAUDE_IDS: keep Claude Code's Claude model ids and\n"
        "                                   size compaction with CLAUDE_CODE_AUTO_COMPACT_WINDOW (default\n"
        "                                   false: the local model id, with CLAUDE_CODE_MAX_CONTEXT_TOKENS)\n"
        "  --allow-small-window BOOL        ANYCLAUDE_ALLOW_SMALL_WINDOW: start Claude Code even when the\n"
        "                                   window is under 16384 tokens (its first exchange)\n",
        ANYCLAUDE_VERSION);
}

}  // namespace

int main(int argc, char** argv) {
    // A file-size limit (ulimit -f) reached while writing the disk tier must fail that write
    // (EFBIG), not kill the server; a client gone mid-write must not either.
    std::signal(SIGXFSZ, SIG_IGN);
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string command;
    std::vector<std::pair<std::string, std::string>> flags;
    std::string config_file;
    std::vector<std::string> rest;

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (!command.empty() && command == "claude") {
            rest.push_back(a);  // everything after `claude` belongs to Claude Code
            continue;
        }
        if (a == "--help" || a == "-h") {
            print_help();
            return 0;
        }
        if (a == "--version") {
            std::printf("anyclaude %s\n", ANYCLAUDE_VERSION);
            return 0;
        }
        if (a.rfind("--", 0) == 0) {
            std::string name = a.substr(2), value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                std::fprintf(stderr, "anyclaude: --%s needs a value\n", name.c_str());
                return 2;
            }
            if (name == "config") config_file = value;
            else flags.push_back({name, value});
            continue;
        }
        if (command.empty() && (a == "serve" || a == "claude" || a == "status")) {
            command = a;
            continue;
        }
        std::fprintf(stderr, "anyclaude: unexpected argument '%s' (see --help)\n", a.c_str());
        return 2;
    }
    if (command.empty()) {
        print_help();
        return 2;
    }

    app::Config cfg;
    if (auto err = app::load_file_and_env(cfg, config_file); !err.empty()) {
        std::fprintf(stderr, "anyclaude: %s\n", err.c_str());
        return 2;
    }
    for (auto& [name, value] : app::merge_repeated(flags)) {
        if (auto err = app::apply_setting(cfg, name, value); !err.empty()) {
            std::fprintf(stderr, "anyclaude: %s\n", err.c_str());
            return 2;
        }
    }

    if (app::wants_embedded(cfg)) cfg.mode = "embedded";
    if (command == "claude") return app::launch_claude(cfg, rest, "/proc/self/exe");
    if (command == "status") return app::print_status(cfg);
    app::setup_logging(cfg);
    return app::serve_forever(cfg);
}
