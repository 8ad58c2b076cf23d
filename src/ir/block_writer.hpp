// The content blocks of one response as events, the way Anthropic streams them, for every backend
// (openai::BlockSequence for upstream servers, the engine's OutputParser): indices from 0 in start
// order, one block open at a time (starting a block closes the open one), a thinking block closed
// with a signature delta (ir::thinking_signature: the same text signs the same in every mode), a
// tool_use block closed with "{}" when no input arrived (Anthropic's input is always an object).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/event.hpp"

namespace anyclaude::ir {

class BlockWriter {
public:
    void start(BlockKind kind, std::vector<Event>& out);  // text or thinking
    int start_tool(const std::string& id, const std::string& name, std::vector<Event>& out);  // its index
    void delta(std::string_view data, std::vector<Event>& out);  // to the open block (none: dropped)
    void stop(std::vector<Event>& out);                          // closes the open block, if any

    std::optional<BlockKind> open_kind() const { return open_; }
    int open_index() const { return open_ ? index_ : -1; }

private:
    std::optional<BlockKind> open_;
    int index_ = -1;
    std::string thinking_;     // text of the open thinking block
    bool tool_input_ = false;  // the open tool_use block got non-whitespace input
};

}  // namespace anyclaude::ir
