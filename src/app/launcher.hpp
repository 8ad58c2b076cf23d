// `anyclaude claude [args]`: makes sure a gateway is running (reuses a healthy one on the
// configured port with the same backend, else starts one in-process on a free loopback port),
// checks that its backend answers and serves a model (GET /health/backend) before Claude Code
// starts, gives Claude Code the model's window (claude_env.hpp) and, for the interactive screen,
// its offline first-run state (claude_state.hpp), runs Claude Code against the gateway, points at
// the gateway's log when Claude Code fails, and stops what it started when Claude Code exits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/claude_env.hpp"
#include "app/config.hpp"

namespace anyclaude::app {

// Returns Claude Code's exit code (or 127 when it cannot be started, 2 when the gateway, its
// backend or the window cannot work).
int launch_claude(Config cfg, const std::vector<std::string>& claude_args, const std::string& self_path);

// Where the claude binary is: ANYCLAUDE_CLAUDE_BIN, node_modules/.bin/claude beside the project
// this binary was built in, then PATH. "" when not found.
std::string find_claude_binary(const std::string& self_path);

// False for Claude Code invocations that never reach a model (`claude mcp ...`, `--version`,
// `--help`, ...): no backend check, window or first-run state for those.
bool talks_to_model(const std::vector<std::string>& claude_args);
// True for `-p` / `--print` (no interactive screen).
bool print_mode(const std::vector<std::string>& claude_args);

// How a user of this mode makes the model's window bigger (a flag or the server's setting).
std::string enlarge_hint(const std::string& mode);

// The lines the launcher prints, and refuses to start Claude Code, when the backend does not
// answer or serves no model; empty when the report says it is fine.
std::vector<std::string> backend_problem(const BackendReport& r, const std::string& backend_url);

}  // namespace anyclaude::app
