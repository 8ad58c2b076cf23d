// Test helpers: run a ChatStreamDecoder over a list of SSE data payloads and get event lines.
#pragma once

#include <string>
#include <vector>

#include "openai/stream_decoder.hpp"

namespace anyclaude::test {

// Feeds every payload, then finish(); returns the events as lines (see event_text.hpp), with
// consecutive deltas of one block merged when merge is true.
std::vector<std::string> decode_lines(const std::vector<std::string>& payloads, openai::StreamDecoderOptions opt = {},
                                      bool merge = false);

// A chat.completion.chunk with one choice whose delta is delta_json (and an optional finish_reason).
std::string chunk(const std::string& delta_json, const std::string& finish_reason = "");
std::string content_chunk(const std::string& text);  // delta {"content": text}

// The tools Claude Code sends, enough to type XML parameters in tests.
std::vector<ir::Tool> sample_tools();

}  // namespace anyclaude::test
