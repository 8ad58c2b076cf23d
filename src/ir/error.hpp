// Errors that cross module boundaries as values, shaped like Anthropic's error types.
#pragma once

#include <cstdint>
#include <string>

namespace anyclaude::ir {

struct ApiError {
    int status = 500;
    std::string type = "api_error";  // invalid_request_error, authentication_error, ...
    std::string message;

    static ApiError invalid_request(std::string m) { return {400, "invalid_request_error", std::move(m)}; }
    static ApiError authentication(std::string m) { return {401, "authentication_error", std::move(m)}; }
    static ApiError permission(std::string m) { return {403, "permission_error", std::move(m)}; }
    static ApiError not_found(std::string m) { return {404, "not_found_error", std::move(m)}; }
    static ApiError too_large(std::string m) { return {413, "request_too_large", std::move(m)}; }
    static ApiError rate_limit(std::string m) { return {429, "rate_limit_error", std::move(m)}; }
    static ApiError api(std::string m) { return {500, "api_error", std::move(m)}; }
    static ApiError overloaded(std::string m) { return {529, "overloaded_error", std::move(m)}; }
    // A prompt over the model's window, in Anthropic's own wording: Claude Code 2.1.328 parses
    // /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/ and summarises just the gap N - M
    // (../shared/research/claude-code-compaction.md section 5). Every mode answers with this.
    static ApiError prompt_too_long(int64_t n, int64_t m) {
        return invalid_request("prompt is too long: " + std::to_string(n) + " tokens > " + std::to_string(m) +
                               " maximum");
    }

    // The Anthropic error type for an HTTP status (used when mapping upstream errors).
    static ApiError from_status(int status, std::string m);
};

}  // namespace anyclaude::ir
