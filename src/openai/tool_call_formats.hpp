// Internal: parses the body of one printed tool call (the text between its tags) into
// tool_call segments. Each returns false, appending nothing, when the body is not well formed,
// so the caller can fall back to plain text.
//   Hermes / Qwen2.5:  {"name": "...", "arguments": {...}}   ("arguments" may be a JSON string
//                      holding the object; "parameters" is accepted too; an array of calls too)
//   Qwen3-Coder XML:   <function=NAME><parameter=P>\nvalue\n</parameter>...</function> (one or more)
#pragma once

#include <string_view>
#include <vector>

#include "ir/request.hpp"
#include "openai/text_tool_calls.hpp"

namespace anyclaude::openai {

bool parse_hermes_calls(std::string_view body, std::vector<TextSegment>& calls);

// Parameter values are typed by the tool's input_schema: "integer", "number", "boolean", "object"
// and "array" values are parsed as JSON when valid; everything else stays a string. Arguments
// keep the printed parameter order.
bool parse_xml_function_calls(std::string_view body, const std::vector<ir::Tool>& tools,
                              std::vector<TextSegment>& calls);

}  // namespace anyclaude::openai
