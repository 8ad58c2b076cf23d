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

// server_tool_use and web_search_tool_result: Anthropic's web search run by the gateway
// (src/backends/web_search_backend.hpp); backends never see them (history is rewritten first).
enum class BlockKind {
    text, image, tool_use, tool_result, thinking, redacted_thinking, document,
    server_tool_use, web_search_tool_result
};

const char* to_string(Role r);
const char* to_string(BlockKind k);

// One hit of a web_search_tool_result, as Anthropic's wire carries it. encrypted_content is
// opaque to the client; the gateway puts the page snippet in it so that a later turn, which
// sends the block back, can show the model the same text (src/search/web_search_blocks.hpp).
struct WebSearchResult {
    std::string url;
    std::string title;
    std::string page_age;  // "" -> null
    std::string encrypted_content;
};

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
    std::vector<WebSearchResult> search_results{};  // web_search_tool_result (id: tool_use_id)
    std::string error_code{};  // web_search_tool_result: the error form when not empty
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

// A web_search_* server tool (web_search_20250305 and later dated types): the gateway runs it.
struct WebSearchTool {
    std::string type;  // e.g. "web_search_20250305"
    std::string name = "web_search";
    int64_t max_uses = 0;  // 0: not set
    std::vector<std::string> allowed_domains;
    std::vector<std::string> blocked_domains;
    std::string country;   // user_location.country (ISO 3166-1 alpha-2), "" when absent
    std::string city, region, timezone;
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
    std::optional<WebSearchTool> web_search;  // the request carries Anthropic's web search tool
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
    // A Claude Code subagent's request (its Agent tool): the x-claude-code-agent-id header, or
    // cc_is_subagent=true in the billing line (ir::billing_marks_subagent).
    bool subagent = false;
    // The cache-diagnosis-2026-04-07 beta's diagnostics.previous_message_id: the answer whose
    // request this one should extend (set only when the anthropic-beta header names the beta).
    std::optional<std::string> diagnose_against;
};

// A one-shot side request: no tools and a single message. Claude Code 2.1.328's title request
// (../shared/fixtures/claude-code-2.1.328/capture-side-1.json) and its other small-model requests
// have this shape; a conversation's turns and a subagent's carry tools.
inline bool is_side_request(const Request& r) { return r.tools.empty() && r.messages.size() <= 1; }

}  // namespace anyclaude::ir
