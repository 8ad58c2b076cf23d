// Anthropic-shaped random ids the gateway makes up: a prefix and 24 letters and digits, as in
// Anthropic's own "msg_…", "toolu_…" and "srvtoolu_…" ids. One generator for all of them (there
// were three copies: message ids, tool-call ids for calls an upstream sent without one, and the
// web search's server tool ids). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace anyclaude::ir {

std::string random_id(std::string_view prefix);

inline std::string new_message_id() { return random_id("msg_"); }
inline std::string new_tool_id() { return random_id("toolu_"); }         // a tool call with no id upstream
inline std::string new_server_tool_id() { return random_id("srvtoolu_"); }  // a web search the gateway runs

}  // namespace anyclaude::ir
