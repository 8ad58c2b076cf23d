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

// The usage by hand; the settings from the settings table (config.cpp), so neither can drift.
void print_help() {
    std::printf(
        "anyclaude %s: Claude Code on local models\n\n"
        "usage:\n"
        "  anyclaude [settings] serve              run the gateway (Anthropic Messages API)\n"
        "  anyclaude [settings] claude [args...]   run Claude Code against a gateway; args go to claude\n"
        "  anyclaude [--port N] [--api-key K] status   sessions, cache and last requests of a running gateway\n"
        "  anyclaude --version | --help\n\n"
        "settings: --flag VALUE (or --flag=VALUE), the environment variable named beside it, or the\n"
        "same name as a key of the config file\n"
        "  --config FILE                   ANYCLAUDE_CONFIG (default ~/.config/anyclaude/config.json):\n"
        "                                  a JSON object whose keys are the flag names below\n",
        ANYCLAUDE_VERSION);
    std::fputs(app::settings_help().c_str(), stdout);
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
