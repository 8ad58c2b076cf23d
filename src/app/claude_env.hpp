// What `anyclaude claude` tells Claude Code about the local model, decided without processes:
// the gateway's backend report (GET /health/backend) parsed from JSON text, and, from the
// model's real window, the small model and the user's own environment, the variables to set,
// the one-line notice, a warning for tight windows and a refusal for windows too small to run.
//
// Evidence: ../shared/research/claude-code-compaction.md (Claude Code 2.1.328). Claude Code
// compacts ahead of time at T = window - min(max_output, 20000) - 13000 [V]; the window of an id
// it does not know is CLAUDE_CODE_MAX_CONTEXT_TOKENS, of a Claude id its built-in one [V].
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anyclaude::app {

// GET /health/backend: {"reachable", "model", "context_window" (int or null), "window_source",
// "problem", "fix"}.
struct BackendReport {
    bool reachable = false;
    std::string model;                      // the id the backend serves ("" when none)
    std::optional<int64_t> context_window;  // tokens; nullopt when nothing tells
    std::string window_source;              // where the window came from, for people
    std::string problem;                    // "" when fine
    std::string fix;                        // "" when fine
};

// Parses the report; nullopt (with *error set) when the text is not one.
std::optional<BackendReport> parse_backend_report(std::string_view json_text, std::string* error);

// The sizes Claude Code gets for a real window of `window` tokens.
struct WindowSizes {
    int64_t output;      // CLAUDE_CODE_MAX_OUTPUT_TOKENS
    int64_t declared;    // CLAUDE_CODE_MAX_CONTEXT_TOKENS (may exceed the real window: see .cpp)
    int64_t threshold;   // where Claude Code then compacts: declared - min(output, 20000) - 13000
};
WindowSizes window_sizes(int64_t window);

// Below this Claude Code's first exchange (~12k tokens of its own prompt plus the answer) does
// not fit; below kTightWindow it works but compacts often and can thrash.
constexpr int64_t kMinWindow = 16384;
constexpr int64_t kTightWindow = 49152;

struct ClaudeEnvInput {
    std::string model;        // local model id for every model class
    std::string small_model;  // haiku-class id ("" -> model)
    std::optional<int64_t> window;
    std::string window_source;
    std::string enlarge_hint;  // how this user makes the window bigger (a flag or a server setting)
    bool claude_ids = false;   // keep Claude Code's Claude ids (the AUTO_COMPACT_WINDOW route)
    bool allow_small_window = false;
    // The user's environment: the value of a variable, or nullptr when it is not set.
    std::function<const char*(const char*)> user_env;
};

struct ClaudeEnvPlan {
    std::vector<std::pair<std::string, std::string>> set;  // variables the launcher adds
    std::vector<std::string> kept;                         // "NAME=value" the user set, which win
    std::string notice;   // one line: which window Claude Code got
    std::string warning;  // "" or one line (tight window)
    std::string error;    // "" or why Claude Code is not started (window too small)
};

ClaudeEnvPlan plan_claude_env(const ClaudeEnvInput& in);

}  // namespace anyclaude::app
