// Anthropic's web search blocks as the gateway makes and reads them:
// - the function tool a local model is offered in place of the web_search server tool;
// - hits -> web_search_result entries (encrypted_content: "acws1." + base64 of the page snippet,
//   opaque to clients, so that a later turn sending the block back shows the model the same text);
// - the text a model reads for a search result or error (a tool result);
// - history rewriting for backends: server_tool_use -> tool_use, web_search_tool_result -> a
//   tool_result in a user turn, so backends (upstream and embedded) never see the new kinds.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ir/request.hpp"
#include "search/provider.hpp"

namespace anyclaude::search {

// The tool the model calls: {name, description, input_schema {query: string}}; the description
// names the domain rules and the user's location when the request gives them.
ir::Tool function_tool(const ir::WebSearchTool& ws);

ir::WebSearchResult to_result(const Hit& h);
std::string encode_snippet(std::string_view snippet);   // -> encrypted_content
std::string decode_snippet(std::string_view encrypted);  // "" when it is not ours

// The query of a web_search call's input JSON ({"query": "..."}); "" when there is none.
std::string query_of(std::string_view input_json);

// What the model reads for a web_search_tool_result block; error_message (when not empty)
// replaces the wording the error code implies.
std::string result_text(const std::string& query, const ir::ContentBlock& result, const std::string& error_message = {});

// The words each error code carries to the model when the client sends the block back.
std::string error_text(const std::string& error_code, bool provider_configured);

struct RewriteOptions {
    bool add_tool = false;         // append function_tool(req.web_search) to the tools
    bool provider_configured = false;
    std::map<std::string, std::string> error_messages;  // tool_use_id -> words for the model
};
// req with its server blocks turned into tool_use / tool_result (the backend's view).
ir::Request for_backend(const ir::Request& req, const RewriteOptions& opt);

// True when any message carries a server_tool_use or web_search_tool_result block.
bool has_server_blocks(const ir::Request& req);

}  // namespace anyclaude::search
