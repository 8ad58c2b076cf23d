// Streaming parsers for models that print tool calls (and thinking) as text:
//   Hermes / Qwen2.5:  <tool_call>{"name": "...", "arguments": {...}}</tool_call>
//   Qwen3-Coder XML:   <tool_call><function=NAME><parameter=P>value</parameter></function></tool_call>
//                      (also without the <tool_call> wrapper)
//   Thinking:          <think>...</think>
// Text that only might start a tag is held back until it is decided; everything else flows out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/request.hpp"

namespace anyclaude::openai {

struct TextSegment {
    enum class Kind { text, thinking, tool_call };
    Kind kind = Kind::text;
    std::string text;            // text / thinking
    std::string name;            // tool_call
    std::string arguments_json;  // tool_call: JSON object text
};

class TextToolCallParser {
public:
    // tools: used to type Qwen3-Coder XML parameter values (integer/number/boolean/object/array
    // per the tool's input_schema; strings stay strings).
    TextToolCallParser(std::vector<ir::Tool> tools, bool parse_tool_calls, bool parse_think_tags);

    // Feed a text delta; appends decided segments (adjacent text merged where possible).
    void feed(std::string_view delta, std::vector<TextSegment>& out);
    // End of text: whatever is held back is flushed (an unterminated tool call falls back to text).
    void finish(std::vector<TextSegment>& out);

private:
    enum class State { text, think, tool_call_body, function_body };
    enum class TagMatch { none, partial, think, tool_call, function };
    TagMatch match_open_tag() const;  // buf_ starts with '<'
    void drain(std::vector<TextSegment>& out, bool at_end);
    // In a tool call body: waits for close_tag, then emits the call(s) or falls back to text.
    // Returns true when the body was consumed (state back to text).
    bool drain_body(std::string_view close_tag, std::vector<TextSegment>& out, bool at_end);
    void emit_text(std::string_view s, std::vector<TextSegment>& out);
    void emit_thinking(std::string_view s, std::vector<TextSegment>& out);

    std::vector<ir::Tool> tools_;
    bool parse_tool_calls_;
    bool parse_think_;
    State state_ = State::text;
    std::string buf_;         // undecided text
    std::string open_tag_;    // the text that opened the current tool call (for fallback)
    std::size_t searched_ = 0;  // bytes of buf_ already searched for the closing tag
    bool seen_text_ = false;    // non-whitespace text came out: <think> is only honoured before that
};

}  // namespace anyclaude::openai
