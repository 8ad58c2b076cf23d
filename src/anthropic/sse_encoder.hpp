// Encodes neutral events as Anthropic SSE frames (event: <type>, data: <json>), the stream
// Claude Code and the SDKs read.
#pragma once

#include <string>

#include "ir/event.hpp"

namespace anyclaude::anthropic {

// Appends "event: <type>\ndata: <json>\n\n" for ev to out.
void encode_sse(const ir::Event& ev, std::string& out);

}  // namespace anyclaude::anthropic
