// Finding where the blocks of a request sit in its rendered prompt text: each block's pieces
// (trimmed, as templates often trim) are searched in order, each after the previous find, so
// positions never go backwards. A block whose text the template changed is not found and takes the
// previous position (a shorter, still valid prefix); past the start of the conversation a piece
// must sit near the previous one, so a changed block cannot match a copy of its text far ahead.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/chat_render_messages.hpp"

namespace anyclaude::engine {

struct TextSpan {
    std::size_t begin = 0, end = 0;  // byte offsets in the prompt text
    bool found = false;
};

struct PromptLayout {
    std::vector<TextSpan> system;                // per req.system block
    std::vector<std::vector<TextSpan>> turns;    // per req.messages[i], per block
    std::size_t conversation_begin = 0;          // where the first non-system message's content starts
    std::size_t tools_end = 0;                   // end of the tools section (0: no tools found)
};

// first_conversation_turn: index of the first non-system message in req.messages (or size()).
PromptLayout locate_blocks(const std::string& prompt, const ChatMessages& msgs, const ChatTools& tools,
                           std::size_t first_conversation_turn);

}  // namespace anyclaude::engine
