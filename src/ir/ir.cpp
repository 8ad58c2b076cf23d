// String names of the neutral model's enums, and status-to-type mapping for errors.
#include "ir/error.hpp"
#include "ir/event.hpp"
#include "ir/request.hpp"

namespace anyclaude::ir {

const char* to_string(Role r) {
    switch (r) {
        case Role::user: return "user";
        case Role::assistant: return "assistant";
        case Role::system: return "system";
    }
    return "user";
}

const char* to_string(BlockKind k) {
    switch (k) {
        case BlockKind::text: return "text";
        case BlockKind::image: return "image";
        case BlockKind::tool_use: return "tool_use";
        case BlockKind::tool_result: return "tool_result";
        case BlockKind::thinking: return "thinking";
        case BlockKind::redacted_thinking: return "redacted_thinking";
        case BlockKind::document: return "document";
        case BlockKind::server_tool_use: return "server_tool_use";
        case BlockKind::web_search_tool_result: return "web_search_tool_result";
    }
    return "text";
}

const char* to_string(StopReason r) {
    switch (r) {
        case StopReason::end_turn: return "end_turn";
        case StopReason::max_tokens: return "max_tokens";
        case StopReason::stop_sequence: return "stop_sequence";
        case StopReason::tool_use: return "tool_use";
        case StopReason::refusal: return "refusal";
    }
    return "end_turn";
}

const char* to_string(DeltaKind k) {
    switch (k) {
        case DeltaKind::text: return "text_delta";
        case DeltaKind::thinking: return "thinking_delta";
        case DeltaKind::signature: return "signature_delta";
        case DeltaKind::input_json: return "input_json_delta";
    }
    return "text_delta";
}

ApiError ApiError::from_status(int status, std::string m) {
    switch (status) {
        case 400: case 422: return {400, "invalid_request_error", std::move(m)};
        case 401: return {401, "authentication_error", std::move(m)};
        case 403: return {403, "permission_error", std::move(m)};
        case 404: return {404, "not_found_error", std::move(m)};
        case 413: return {413, "request_too_large", std::move(m)};
        case 429: return {429, "rate_limit_error", std::move(m)};
        case 503: case 529: return {529, "overloaded_error", std::move(m)};
        default: break;
    }
    if (status >= 400 && status < 500) return {400, "invalid_request_error", std::move(m)};
    return {500, "api_error", std::move(m)};
}

}  // namespace anyclaude::ir
