// The conversation key: one 64-bit number that names a conversation from its content alone, so
// that every turn of it, `claude --continue`, another client and a gateway restart all agree on
// it without any state. Used to keep a conversation on one backend (src/fleet/) and forwarded
// upstream as a header for routers that do the same (llm-d, vLLM router, SGLang gateway).
//
// It hashes what stays byte-identical across a conversation's turns: the tools (name,
// description, schema, in the client's order), the system text with Claude Code's per-prompt
// "x-anthropic-billing-header:" lines left out (they change every session even when the strip
// setting is off, see prompt_stability.hpp), and the first message (normally the user's first
// prompt). Later messages are not part of it: they grow every turn. A subagent has its own
// system prompt and first message, so it gets its own key; a side request (title) gets one too
// but is routed by load instead (src/fleet/fleet_backend.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "ir/request.hpp"

namespace anyclaude::ir {

uint64_t conversation_key(const Request& req);

// The key as 16 lowercase hex digits (the header's value, logs).
std::string conversation_key_text(uint64_t key);

}  // namespace anyclaude::ir
