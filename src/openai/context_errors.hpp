// Reads a backend's own "the prompt does not fit" error: which backend's wording it is, and
// the prompt's tokens N and the window M where the text (or llama-server's JSON fields) carries
// them. One table row per known wording (context_errors.cpp), so a new backend is one row.
//
// Two kinds are told apart, because Claude Code must only see the first as prompt-too-long:
//   prompt: the prompt alone is over the window (Claude Code should compact);
//   output: the prompt fits, prompt + max_tokens does not (vLLM and SGLang check the sum; the
//           gateway retries with max_tokens = M - N instead of making Claude Code compact).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anyclaude::openai {

struct ContextOverflow {
    enum class Kind { prompt, output };
    Kind kind = Kind::prompt;
    std::optional<int64_t> prompt_tokens;  // N, the prompt alone (never prompt + max_tokens)
    std::optional<int64_t> window;         // M
    std::string backend;                   // whose wording matched, e.g. "vLLM"
};

// The context error that an upstream error body (JSON or text) reports, or nullopt when the
// body is some other error.
std::optional<ContextOverflow> context_overflow(std::string_view body);

}  // namespace anyclaude::openai
