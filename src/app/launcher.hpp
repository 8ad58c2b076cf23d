// `anyclaude claude [args]`: makes sure a gateway is running (reuses a healthy one on the
// configured port with the same backend, else starts one in-process on a free loopback port),
// runs Claude Code against it, and stops what it started when Claude Code exits.
#pragma once

#include <string>
#include <vector>

#include "app/config.hpp"

namespace anyclaude::app {

// Returns Claude Code's exit code (or 127 when it cannot be started).
int launch_claude(Config cfg, const std::vector<std::string>& claude_args, const std::string& self_path);

// Where the claude binary is: ANYCLAUDE_CLAUDE_BIN, node_modules/.bin/claude beside the project
// this binary was built in, then PATH. "" when not found.
std::string find_claude_binary(const std::string& self_path);

}  // namespace anyclaude::app
