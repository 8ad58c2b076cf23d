// Internal: turns decoded content (text, thinking, tool calls) into ir block events the way
// Anthropic streams them: indices 0.. in start order, one block open at a time (starting a block
// closes the open one), a thinking block closed with a signature_delta, a tool_use block closed
// with "{}" when no input arrived.
// Leading whitespace of a text or thinking block is dropped, so no block is opened for whitespace
// alone (Qwen3's "<think>\n\n</think>\n\n" and the blank text servers send between tool calls
// produce no empty blocks).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/event.hpp"

namespace anyclaude::openai {

class BlockSequence {
public:
    void text(std::string_view s, std::vector<ir::Event>& out);
    void thinking(std::string_view s, std::vector<ir::Event>& out);

    // Closes the open block and starts a tool_use block; returns its index.
    int start_tool(const std::string& id, const std::string& name, std::vector<ir::Event>& out);
    // Input JSON text for the open tool_use block.
    void tool_input(std::string_view json_fragment, std::vector<ir::Event>& out);
    bool is_open(int index) const { return open_ != Open::none && open_index_ == index; }

    void close(std::vector<ir::Event>& out);  // closes the open block, if any

    bool produced_tool_use() const { return tool_blocks_ > 0; }
    // The last bytes of all text emitted (enough to test for a stop sequence).
    const std::string& text_tail() const { return text_tail_; }

private:
    enum class Open { none, text, thinking, tool };
    void content(Open kind, std::string_view s, std::vector<ir::Event>& out);
    void start(Open kind, ir::BlockKind block_kind, std::vector<ir::Event>& out);

    Open open_ = Open::none;
    int open_index_ = -1;
    int next_index_ = 0;
    int tool_blocks_ = 0;
    std::string thinking_text_;     // of the open thinking block (its signature is computed from it)
    bool tool_input_sent_ = false;  // the open tool block got non-whitespace input
    std::string text_tail_;
};


}  // namespace anyclaude::openai
