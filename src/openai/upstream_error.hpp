// Maps an upstream (OpenAI-compatible) HTTP error to an Anthropic-shaped error, keeping the
// upstream's own message (context errors: see upstream_error_body.hpp). Understands {"error":{"message":..}}, {"error":"..."}, {"message":..},
// {"detail":..}, and plain text bodies.
#pragma once

#include <string>
#include <string_view>

#include "ir/error.hpp"
#include "openai/context_errors.hpp"

namespace anyclaude::openai {

ir::ApiError map_upstream_error(int http_status, std::string_view body, std::string_view url);

// The same, with the context error the body reports (if any) for the caller to act on: retry
// with a smaller max_tokens, or fill in the numbers a backend's wording leaves out.
struct UpstreamError {
    ir::ApiError error;
    std::optional<ContextOverflow> overflow;
};
UpstreamError read_upstream_error(int http_status, std::string_view body, std::string_view url);

}  // namespace anyclaude::openai
