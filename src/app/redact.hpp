// `--record-redact`: makes a recorded Claude Code request shareable. File contents and paths are
// replaced by filler of the same length and shape, so the request stays valid, its sizes stay
// and its token count stays close (tests/e2e/record_replay.test.mjs counts with a real
// tokenizer). The same text always gets the same filler, so a conversation's history stays a
// prefix of its next request, as it was (what prompt caches and their benchmarks depend on).
//
// What is replaced, in a /v1/messages (or count_tokens) body:
//   - tool_result content (text, and any other string in it: image data, ...);
//   - every string in a tool_use input (Read/Edit/Write paths and texts, Bash commands, ...);
//   - the inside of <system-reminder>...</system-reminder> in message text (file contents Claude
//     Code attaches: CLAUDE.md, files opened in the IDE, task notifications);
//   - path-like runs (/a/b, ~/a, ./a/b) anywhere else in message and system text (the
//     environment block's working directory, paths in prompts).
// Kept: keys, roles, block types, tool definitions, ids, model, cache_control, every number and
// boolean, and all punctuation and white space inside replaced text (code keeps its shape).
#pragma once

#include <string>
#include <string_view>

namespace anyclaude::app {

// The redacted body; a body that is not a JSON object is filler_text() of it as a whole.
std::string redact_body(std::string_view body);

// Same-length filler: each ASCII word (identifiers split at case changes) becomes a common word
// of the same length and case shape, each digit another digit, each other non-ASCII code point
// one letter; ASCII punctuation and white space stay. Deterministic.
std::string filler_text(std::string_view text);

// filler_text() applied to the path-like runs of text only.
std::string filler_paths(std::string_view text);

}  // namespace anyclaude::app
