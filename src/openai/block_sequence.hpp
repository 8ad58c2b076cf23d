// Internal: turns decoded content (text, thinking, tool calls) into ir block events the way
// Anthropic streams them (ir::BlockWriter, shared with the engine), keeping what the stream
// decoder asks about: whether a tool was called and the tail of the text.
// Leading whitespace of a text or thinking block is dropped, so no block is opened for whitespace
// alone (Qwen3's "<think>\n\n</think>\n\n" and the blank text servers send between tool calls
// produce no empty blocks).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/block_writer.hpp"
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
    bool is_open(int index) const { return index >= 0 && blocks_.open_index() == index; }

    void close(std::vector<ir::Event>& out) { blocks_.stop(out); }  // closes the open block, if any

    bool produced_tool_use() const { return tool_blocks_ > 0; }
    // The last bytes of all text emitted (enough to test for a stop sequence).
    const std::string& text_tail() const { return text_tail_; }

private:
    void content(ir::BlockKind kind, std::string_view s, std::vector<ir::Event>& out);

    ir::BlockWriter blocks_;
    int tool_blocks_ = 0;
    std::string text_tail_;
};

}  // namespace anyclaude::openai
