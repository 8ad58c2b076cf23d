// Error recording for the request decoder (see decode_context.hpp).
#include "anthropic/decode_context.hpp"

namespace anyclaude::anthropic {

bool DecodeContext::fail(const FieldPath& path, std::string_view message) {
    if (error) return false;  // keep the first error
    std::string text = path.str();
    if (!text.empty()) text += ": ";
    text.append(message);
    error = ir::ApiError::invalid_request(std::move(text));
    return false;
}

bool DecodeContext::fail(std::string message) {
    if (!error) error = ir::ApiError::invalid_request(std::move(message));
    return false;
}

}  // namespace anyclaude::anthropic
