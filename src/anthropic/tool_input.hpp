// Turns the concatenated input_json_delta text of a tool_use block into the "input" object of
// a stream:false message. Empty text gives {}. Text cut short (a stream stopped by max_tokens
// mid-call) is completed the way the SDKs' partial-JSON parser reads it: an open string is
// closed, an unfinished member dropped, open brackets closed. Anything still unusable, or a
// value that is not an object, gives {} (the API's input is always an object).
#pragma once

#include <string>
#include <string_view>

namespace anyclaude::anthropic {

std::string tool_input_object(std::string_view partial_json);

}  // namespace anyclaude::anthropic
