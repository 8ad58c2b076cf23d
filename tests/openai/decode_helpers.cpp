// Stream decoding helpers for tests (see decode_helpers.hpp).
#include "openai/decode_helpers.hpp"

#include "common/json.hpp"
#include "openai/event_text.hpp"

namespace anyclaude::test {

std::vector<std::string> decode_lines(const std::vector<std::string>& payloads, openai::StreamDecoderOptions opt,
                                      bool merge) {
    openai::ChatStreamDecoder decoder(std::move(opt));
    std::vector<ir::Event> events;
    for (const auto& p : payloads) decoder.on_data(p, events);
    decoder.finish(events);
    return event_lines(merge ? merge_deltas(events) : events);
}

std::string chunk(const std::string& delta_json, const std::string& finish_reason) {
    std::string reason = finish_reason.empty() ? "null" : "\"" + finish_reason + "\"";
    return R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":)" +
           delta_json + R"(,"finish_reason":)" + reason + "}]}";
}

std::string content_chunk(const std::string& text) {
    std::string quoted;
    json::write_string(text, quoted);
    return chunk(R"({"content":)" + quoted + "}");
}

std::vector<ir::Tool> sample_tools() {
    return {
        {"Read", "Reads a file", R"({"type":"object","properties":{"file_path":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":"integer"}},"required":["file_path"]})", false, false},
        {"Bash", "Runs a command", R"({"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"},"run_in_background":{"type":"boolean"}},"required":["command"]})", false, false},
    };
}

}  // namespace anyclaude::test
