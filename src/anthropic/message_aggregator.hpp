// Collects a whole event stream into the message JSON a stream:false request gets, as Anthropic
// returns it (content blocks, stop reason, usage, diagnostics), or the error that ended it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/error.hpp"
#include "ir/event.hpp"

namespace anyclaude::anthropic {

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
