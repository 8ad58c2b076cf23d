// Decodes an OpenAI chat/completions SSE stream (the data payloads) into neutral events:
// text, reasoning (reasoning_content / reasoning) -> thinking blocks, streamed tool_calls
// (fragmented or whole, several in parallel) -> tool_use blocks with input_json_delta,
// text-printed tool calls and <think> tags in content -> real blocks, usage -> Anthropic usage.
// It never emits MessageStart (the backend does, before the upstream answers).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/error.hpp"
#include "ir/event.hpp"
#include "ir/request.hpp"

namespace anyclaude::openai {

struct StreamDecoderOptions {
    bool parse_text_tool_calls = true;  // Hermes <tool_call>{..}</tool_call>, Qwen3-Coder <function=..> XML
    bool parse_think_tags = true;       // <think>...</think> in content -> thinking block
    std::vector<ir::Tool> tools;        // known tools (XML parameter values are typed by their schema)
    std::vector<std::string> stop_sequences;  // to report which one stopped generation, when the backend says "stop"
};

class ChatStreamDecoder {
public:
    explicit ChatStreamDecoder(StreamDecoderOptions opt);
    ~ChatStreamDecoder();
    ChatStreamDecoder(const ChatStreamDecoder&) = delete;
    ChatStreamDecoder& operator=(const ChatStreamDecoder&) = delete;

    // One SSE data payload (text after "data:"), "[DONE]" included. Appends events to out.
    // An {"error":...} payload sets error() and stops decoding.
    void on_data(std::string_view payload, std::vector<ir::Event>& out);

    // The upstream stream is over and finished properly (finish_reason seen or [DONE]):
    // closes open blocks, emits MessageDelta (stop reason, usage) and MessageStop.
    void finish(std::vector<ir::Event>& out);

    // The upstream stream broke: closes open blocks and emits StreamError(err).
    void fail(const ir::ApiError& err, std::vector<ir::Event>& out);

    bool saw_finish_reason() const;  // a choice carried finish_reason
    bool saw_done() const;           // "[DONE]" arrived
    bool saw_any_delta() const;      // any content/reasoning/tool delta arrived (first token)
    const std::optional<ir::ApiError>& error() const;  // an error payload arrived mid-stream

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace anyclaude::openai
