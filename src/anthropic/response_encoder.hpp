// Encodes neutral events as Anthropic SSE frames, aggregates them into one message JSON for
// stream:false, and renders errors, count_tokens and models bodies in Anthropic's shapes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/error.hpp"
#include "ir/event.hpp"

namespace anyclaude::anthropic {

// Appends "event: <type>\ndata: <json>\n\n" for ev to out.
void encode_sse(const ir::Event& ev, std::string& out);

// {"type":"error","error":{"type":...,"message":...}}
std::string error_body(const ir::ApiError& err);

// {"input_tokens":N}
std::string count_tokens_body(int64_t input_tokens);

struct ModelEntry {
    std::string id;
    std::string display_name;
};
// GET /v1/models body: {"data":[{"type":"model","id",...}],"has_more":false,"first_id","last_id"}
std::string models_body(const std::vector<ModelEntry>& models);
// One model: GET /v1/models/{id}.
std::string model_body(const ModelEntry& model);

// The error body of an answer the HTTP transport gives by itself (http::ErrorBody): 400
// malformed, 408 too slow, 413, 431, 500, with Anthropic's error type for each.
std::string transport_error_body(unsigned status, std::string_view message);

// Collects a whole event stream into the message JSON returned for stream:false.
class MessageAggregator {
public:
    void add(const ir::Event& ev);
    bool failed() const { return failed_; }
    const ir::ApiError& error() const { return error_; }
    bool complete() const { return stopped_; }
    // {"id","type":"message","role":"assistant","model","content":[...],"stop_reason","stop_sequence","usage"}
    std::string to_json() const;

private:
    struct Block {
        bool started = false;  // false for an index no BlockStart has named (skipped on output)
        ir::BlockKind kind = ir::BlockKind::text;
        std::string id, name;
        std::string text;       // text / thinking / partial input json / redacted data
        std::string signature;  // thinking
        std::vector<ir::WebSearchResult> search_results;  // web_search_tool_result
        std::string error_code;                           // web_search_tool_result error form
    };
    Block* block_at(int index);  // nullptr when no started block has that index

    std::string id_, model_;
    std::vector<Block> blocks_;  // by index
    ir::StopReason stop_reason_ = ir::StopReason::end_turn;
    bool has_stop_reason_ = false;  // a MessageDelta arrived (stop_reason is null until then)
    std::string stop_sequence_;
    ir::Usage usage_;
    std::optional<ir::CacheDiagnostics> diagnostics_;  // from message_start
    bool started_ = false;
    bool failed_ = false;
    bool stopped_ = false;
    ir::ApiError error_;
};

}  // namespace anyclaude::anthropic
