// Internal: writes the "messages" array of a chat/completions body from an ir::Request.
// Rules that keep the rendering byte-stable across turns (each message renders the same bytes
// whatever follows it):
//   - Several text blocks that must become one string are joined with "\n\n" (a blank line):
//     the system blocks, an assistant's text and thinking blocks, a mid-conversation system
//     message's blocks, a tool_result's text blocks.
//   - A user message that is exactly one text block is sent as a string; anything else (several
//     blocks, images) as an array of parts, one part per block, in order.
//   - tool_result blocks become role "tool" messages placed before the rest of their user message;
//     an error result's text is prefixed "Error: "; images inside tool results follow in a user
//     message (a result with only images says "(image attached below)").
//   - Assistant: text -> "content" (null when there are only tool calls, "" when nothing),
//     thinking -> "reasoning_content", tool_use -> "tool_calls" with the input JSON text as the
//     "arguments" string. Redacted thinking is not sent.
//   - A document block becomes text: its text, or "[document omitted: <media type>]".
#pragma once

#include "common/json.hpp"
#include "ir/request.hpp"
#include "openai/chat_encoder.hpp"

namespace anyclaude::openai {

void write_chat_messages(json::Writer& w, const ir::Request& req, const ChatEncodeOptions& opt);

}  // namespace anyclaude::openai
