// The neutral event stream every backend produces and every front door encodes.
// Block indices are assigned by the producer, 0-based, in the order blocks start.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "ir/error.hpp"
#include "ir/request.hpp"
#include "ir/usage.hpp"

namespace anyclaude::ir {

enum class StopReason { end_turn, max_tokens, stop_sequence, tool_use, refusal };
const char* to_string(StopReason r);

// The cache-diagnosis beta's answer: why this request could not reuse the prefix of the one it
// named. reason "" is no divergence (cache_miss_reason null); otherwise Anthropic's type:
// model_changed, system_changed, tools_changed, messages_changed, previous_message_not_found.
struct CacheDiagnostics {
    std::string reason;
    std::optional<int64_t> missed_input_tokens;  // the *_changed reasons: prefix tokens lost (approximate)
};

struct MessageStart {
    std::string id;     // "msg_..."
    std::string model;  // the model name to report (the client's)
    Usage usage;        // best knowledge at start; message_delta carries the final figures
    std::optional<CacheDiagnostics> diagnostics{};  // set by the front door when the client asked
};

struct BlockStart {
    int index = 0;
    // text, thinking, tool_use, redacted_thinking, server_tool_use, web_search_tool_result
    BlockKind kind = BlockKind::text;
    std::string tool_id;               // tool_use, server_tool_use; web_search_tool_result: tool_use_id
    std::string tool_name;             // tool_use, server_tool_use
    // web_search_tool_result: its whole content comes with its start (Anthropic streams no delta
    // for it); error_code set means the error form.
    std::vector<WebSearchResult> search_results{};  // ({}: positional initialisers elsewhere stay warning-free)
    std::string error_code{};
};

enum class DeltaKind { text, thinking, signature, input_json };
const char* to_string(DeltaKind k);

struct BlockDelta {
    int index = 0;
    DeltaKind kind = DeltaKind::text;
    std::string data;
};

struct BlockStop {
    int index = 0;
};

struct MessageDelta {
    StopReason stop_reason = StopReason::end_turn;
    std::string stop_sequence;  // set when stop_reason == stop_sequence
    Usage usage;                // final usage
};

struct MessageStop {};
struct Ping {};

// Something failed after the stream began.
struct StreamError {
    ApiError error;
};

using Event = std::variant<MessageStart, BlockStart, BlockDelta, BlockStop, MessageDelta, MessageStop, Ping,
                           StreamError>;

}  // namespace anyclaude::ir
