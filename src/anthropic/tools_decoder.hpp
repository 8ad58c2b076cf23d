// Decodes "tools" and "tool_choice" into ir::Tool / ir::ToolChoice.
// Server tools (a "type" other than "custom" and no input_schema, e.g. bash_20250124) run on
// Anthropic's side and have no schema we could offer a local model: they are validated only for
// their cache_control and then skipped. The one exception is web search (type web_search_ and a
// date: web_search_20250305, web_search_20260209, ...): the gateway runs it itself, so it becomes
// ir::Request::web_search (max_uses, allowed/blocked domains, user_location).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <vector>

#include "anthropic/decode_context.hpp"
#include "ir/request.hpp"

namespace anyclaude::anthropic {

bool decode_tools(DecodeContext& ctx, const boost::json::value& tools, const FieldPath& path,
                  std::vector<ir::Tool>& out, std::optional<ir::WebSearchTool>* web_search = nullptr);

bool decode_tool_choice(DecodeContext& ctx, const boost::json::value& choice, const FieldPath& path,
                        std::optional<ir::ToolChoice>& out);

}  // namespace anyclaude::anthropic
