// Internal helpers for reading upstream error bodies, shared by map_upstream_error (HTTP errors)
// and the stream decoder (error payloads that arrive mid-stream).
#pragma once

#include <string>
#include <string_view>

#include "ir/error.hpp"

namespace anyclaude::openai {

// The upstream's own message from an error body: {"error":{"message":..}}, {"error":"..."},
// {"message":..}, {"detail":".."} or {"detail":[{"msg":..},..]} (FastAPI), else the body text
// itself (trimmed, cut to a readable length). "" for an empty body.
std::string error_message_from_body(std::string_view body);

// Upstream text for an error message: at most max_bytes of it, cut at a character boundary
// ("..." added when cut), each byte that is not part of valid UTF-8 replaced by U+FFFD, so the
// message is always valid UTF-8 in the JSON we send.
std::string utf8_excerpt(std::string_view text, std::size_t max_bytes);

// The HTTP-like status an error object carries in its "code" field (llama-server puts 400/500
// there), or 0 when it carries none.
int error_status_from_body(std::string_view body);

// The Anthropic-shaped error for an upstream error body. The message is head + ": " + the
// upstream's message, status mapped with ApiError::from_status, except for context errors
// (context_errors.hpp), which are 400 invalid_request_error:
//   the prompt is over, N and M known: exactly "prompt is too long: N tokens > M maximum"
//     (Anthropic's wording; Claude Code parses the numbers and compacts by the gap);
//   the prompt is over, no numbers: "prompt is too long: " + head + ": " + the upstream's text;
//   only prompt + max_tokens is over: a message that names max_tokens and none of the phrases
//     Claude Code reads as prompt-too-long (it must not compact for that).
ir::ApiError upstream_error_from_body(int status, std::string_view head, std::string_view body);

}  // namespace anyclaude::openai
