// Test helper: a minimal Anthropic request JSON -> ir::Request mapping, so the encoder can be
// tested on the Claude Code fixtures without the anthropic module. The billing-header system
// block is dropped (another module does that in the product).
#pragma once

#include <string>
#include <string_view>

#include "ir/request.hpp"

namespace anyclaude::test {

ir::Request request_from_anthropic_json(std::string_view text);
ir::Request fixture_request(const std::string& name);  // e.g. "capture-first.json"

}  // namespace anyclaude::test
