// Maps an upstream (OpenAI-compatible) HTTP error to an Anthropic-shaped error, keeping the
// upstream's own message. Understands {"error":{"message":..}}, {"error":"..."}, {"message":..},
// {"detail":..}, and plain text bodies.
#pragma once

#include <string>
#include <string_view>

#include "ir/error.hpp"

namespace anyclaude::openai {

ir::ApiError map_upstream_error(int http_status, std::string_view body, std::string_view url);

}  // namespace anyclaude::openai
