// The `signature` of a thinking block the gateway produces (upstream reasoning or the engine's
// <think> text): "anyclaude-" and the 16 hex digits of the thinking text's FNV-1a 64. The same
// text signs the same in every mode, so a client that sends the block back sees one value.
#pragma once

#include <string>
#include <string_view>

namespace anyclaude::ir {

std::string thinking_signature(std::string_view thinking);

}  // namespace anyclaude::ir
