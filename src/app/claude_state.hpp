// Claude Code's first-run state, so that its interactive screen starts offline. Without it
// Claude Code 2.1.328 stops at "Unable to connect to Anthropic services / Failed to connect to
// api.anthropic.com" (its onboarding checks the network); with onboarding done it next asks
// "Detected a custom API key in your environment ... Do you want to use this API key?" with
// "No (recommended)" preselected, and No leads to a login that needs the network. Both were
// seen under tmux with a scratch HOME. The fields are the ones Claude Code writes itself
// (~/.claude.json after answering those screens): "hasCompletedOnboarding": true and
// "customApiKeyResponses": {"approved": [<the key's last 20 characters>], "rejected": []}
// (its IOe(): key.trim().slice(-20)).
//
// Not written: folder trust (projects[<dir>].hasTrustDialogAccepted). The trust dialog works
// offline and is a safety question for the person at the keyboard (hooks and settings in the
// folder run once it is accepted); the launcher does not answer it for them.
//
// The merge only adds what is missing: existing keys, values and the file's other content stay;
// a key the user rejected stays rejected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace anyclaude::app {

// Where Claude Code keeps that state: $CLAUDE_CONFIG_DIR/.claude.json, else $HOME/.claude.json;
// its older <config dir>/.config.json when that one exists and the new one does not.
std::string claude_state_path();

struct StateMerge {
    std::string text;                  // the file's new text ("" when nothing changes)
    std::vector<std::string> written;  // what was added, for the terminal
    std::string note;                  // "" or something the user should know (a rejected key)
    std::string error;                 // "" or why the file is left alone (not a JSON object)
};

// existing: the file's text ("" when there is no file). api_key: the key Claude Code will send.
StateMerge merge_first_run_state(std::string_view existing, const std::string& api_key);

// Reads the state file, merges, writes it back atomically (a temporary file beside it, then
// rename; the original's permissions, 0600 for a new file; a symlink is followed). Returns one
// line for the terminal ("" when nothing was written).
std::string ensure_first_run_state(const std::string& path, const std::string& api_key);

}  // namespace anyclaude::app
