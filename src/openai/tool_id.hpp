// Internal: ids for tool calls the upstream gave none for (text-printed calls, servers that omit
// "id"): "toolu_" + 24 random letters and digits, the shape of Anthropic's own ids.
#pragma once

#include <string>

namespace anyclaude::openai {

std::string new_tool_id();

}  // namespace anyclaude::openai
