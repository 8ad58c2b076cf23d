// ir::Request -> the input of llama.cpp's chat template (common chat messages and tools), plus, for
// every ir block, the text that block leaves in the rendered prompt, so the renderer can find where
// each block ends (cache breakpoints, message ends). Follows DESIGN.md's prompt-stability rules:
// mid-conversation system messages stay in place; tool inputs and schemas pass through as the
// client's JSON text; several blocks of one message are joined the same way every time.
#pragma once

#include <chat.h>

#include <string>
#include <vector>

#include "ir/request.hpp"
#include "ir/result.hpp"

namespace anyclaude::engine {

// What one ir block leaves in the prompt: pieces of text, in prompt order ("" pieces are skipped).
struct BlockTrace {
    std::vector<std::string> pieces;
    bool breakpoint = false;
};

struct ChatMessages {
    std::vector<common_chat_msg> messages;
    std::vector<BlockTrace> system;             // one per req.system block
    std::vector<std::vector<BlockTrace>> turns;  // one per req.messages[i], one trace per block
    bool ends_with_assistant = false;           // the last message is an assistant prefill
};

struct ChatTools {
    std::vector<common_chat_tool> tools;  // deferred tools left out
    common_chat_tool_choice choice = COMMON_CHAT_TOOL_CHOICE_AUTO;
    bool parallel = true;
    bool breakpoint = false;  // some rendered tool has cache_control
};

// late_system_as_system: the template accepts a system message after position 0; otherwise such
// messages become user messages in the same place.
ir::Result<ChatMessages> build_chat_messages(const ir::Request& req, bool late_system_as_system);

// Tools (schemas checked to be JSON objects) and tool choice; tool_choice {type: tool} becomes
// "required" with only the named tool.
ir::Result<ChatTools> build_chat_tools(const ir::Request& req);

// The text several blocks are joined with (system blocks, text blocks of one message).
inline constexpr const char* block_separator = "\n\n";

}  // namespace anyclaude::engine
