// The neutral request model: what every front door decodes into and every backend reads.
// No protocol's JSON appears here; tool schemas and tool inputs are kept as JSON text,
// serialised once with the client's key order so they stay byte-stable across turns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace anyclaude::ir {

enum class Role { user, assistant, system };

enum class BlockKind { text, image, tool_use, tool_result, thinking, redacted_thinking, document };

const char* to_string(Role r);
const char* to_string(BlockKind k);

struct ContentBlock {
    BlockKind kind = BlockKind::text;
    std::string text;        // text; thinking text; redacted_thinking data; document text
    std::string signature;   // thinking
    std::string media_type;  // image/document: "image/png", ...
    std::string data;        // image/document: base64 payload
    std::string url;         // image/document: source url (when not base64)
    std::string id;          // tool_use: id; tool_result: tool_use_id
    std::string name;        // tool_use: tool name
    std::string input_json;  // tool_use: input as JSON text (client key order)
    std::vector<ContentBlock> content;  // tool_result: its content blocks (text, image)
    bool is_error = false;              // tool_result
    bool cache_breakpoint = false;      // cache_control was set on this block

    static ContentBlock make_text(std::string t, bool breakpoint = false) {
        ContentBlock b;
        b.kind = BlockKind::text;
        b.text = std::move(t);
        b.cache_breakpoint = breakpoint;
        return b;
    }
    static ContentBlock make_tool_use(std::string id, std::string name, std::string input_json) {
        ContentBlock b;
        b.kind = BlockKind::tool_use;
        b.id = std::move(id);
        b.name = std::move(name);
        b.input_json = std::move(input_json);
        return b;
    }
};

struct Message {
    Role role = Role::user;
    std::vector<ContentBlock> content;
};

struct Tool {
    std::string name;
    std::string description;
    std::string input_schema_json;  // JSON text, client key order
    bool defer_loading = false;
    bool cache_breakpoint = false;
};

struct ToolChoice {
    enum class Kind { auto_, any, tool, none };
    Kind kind = Kind::auto_;
    std::string name;               // for Kind::tool
    bool disable_parallel = false;  // disable_parallel_tool_use
};

struct Thinking {
    enum class Kind { unset, enabled, adaptive, disabled };
    Kind kind = Kind::unset;
    int64_t budget_tokens = 0;
    bool wanted() const { return kind == Kind::enabled || kind == Kind::adaptive; }
};

struct Request {
    std::string model;          // as the client named it
    std::string backend_model;  // after model mapping (router)
    std::vector<ContentBlock> system;  // text blocks, in order
    std::vector<Message> messages;     // may hold Role::system messages mid-conversation
    std::vector<Tool> tools;
    std::optional<ToolChoice> tool_choice;
    int64_t max_tokens = 0;
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<int64_t> top_k;
    std::vector<std::string> stop_sequences;
    bool stream = false;
    Thinking thinking;
    std::string effort;              // output_config.effort ("" when absent)
    std::string output_schema_json;  // output_config.format json_schema ("" when absent)
    std::string user_id;             // metadata.user_id
};

// A one-shot side request: no tools and a single message. Claude Code 2.1.328's title request
// (../shared/fixtures/claude-code-2.1.328/capture-side-1.json) and its other small-model requests
// have this shape; a conversation's turns and a subagent's carry tools.
inline bool is_side_request(const Request& r) { return r.tools.empty() && r.messages.size() <= 1; }

}  // namespace anyclaude::ir
