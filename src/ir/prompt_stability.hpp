// Request rewrites that keep prompts byte-stable across turns and sessions (DESIGN.md's
// prompt-stability rules), applied once before any backend renders the request.
#pragma once

#include "ir/request.hpp"

namespace anyclaude::ir {

// Removes Claude Code's per-prompt "x-anthropic-billing-header: ..." line from the system blocks
// (the whole block when it holds nothing else). Returns true when something was removed.
bool strip_billing_header(Request& req);

// True when Claude Code's billing line says the request is a subagent's ("cc_is_subagent=true",
// as Claude Code 2.1.328 writes it for its Agent tool's requests). Read before stripping.
bool billing_marks_subagent(const Request& req);

// A rough token count for when no tokenizer is at hand (upstream modes): ~4 bytes per token
// for prose, denser for JSON. Used for message_start estimates and count_tokens.
int64_t estimate_tokens(const Request& req);

}  // namespace anyclaude::ir
