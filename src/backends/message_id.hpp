// Anthropic-style message ids ("msg_" + 24 random letters and digits) for responses.
#pragma once

#include <string>

namespace anyclaude::backends {

std::string new_message_id();

}  // namespace anyclaude::backends
