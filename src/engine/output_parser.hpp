// Turns the text a model generates into neutral events as it streams: text, thinking and tool
// calls (arguments streamed as input_json_delta), using the parser llama.cpp's common chat API
// chose for the rendered prompt. Output that does not match the tool-call format falls back to
// plain text; the stream always ends properly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/chat_render.hpp"
#include "ir/event.hpp"

namespace anyclaude::engine {

class OutputParser {
public:
    OutputParser(const RenderedPrompt& prompt, const std::vector<ir::Tool>& tools);
    ~OutputParser();

    // Appends the events this new piece of generated text completes (BlockStart/BlockDelta/
    // BlockStop with indices from 0). Holds back text that may still turn into a tool call.
    void feed(const std::string& piece, std::vector<ir::Event>& out);
    // Generation ended: flushes and closes every open block. No MessageDelta/MessageStop.
    void finish(std::vector<ir::Event>& out);
    bool produced_tool_calls() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace anyclaude::engine
