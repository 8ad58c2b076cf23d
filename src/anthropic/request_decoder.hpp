// Decodes and validates an Anthropic Messages API request body into the neutral ir::Request.
// Accepts everything Claude Code sends; unknown fields are ignored; a wrong type or a missing
// required field is an invalid_request_error that names the field (e.g. "messages.2.content.0.text: Field required").
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "ir/request.hpp"
#include "ir/result.hpp"

namespace anyclaude::anthropic {

struct DecodeOptions {
    std::size_t max_json_depth = 64;       // deeper nesting is rejected
    std::size_t max_cache_breakpoints = 4;  // more cache_control blocks than this is an error
    bool require_max_tokens = true;         // /v1/messages requires it; count_tokens does not
    // Larger max_tokens values are rejected (no model writes a million tokens in one answer);
    // smaller ones are clamped to the backend's cap later, as Claude Code asks for 32k-64k.
    int64_t max_tokens_limit = int64_t{1} << 20;
    // The request's anthropic-beta header (comma-separated names): cache-diagnosis-2026-04-07
    // turns on the diagnostics field; other betas change nothing here.
    std::string anthropic_beta;
};

// POST /v1/messages body (text) -> Request. Malformed JSON is an invalid_request_error too.
ir::Result<ir::Request> decode_messages_request(std::string_view body, const DecodeOptions& opt = {});

// Same, from an already parsed value.
ir::Result<ir::Request> decode_messages_request(const boost::json::value& body, const DecodeOptions& opt = {});

}  // namespace anyclaude::anthropic
