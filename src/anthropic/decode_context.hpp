// State shared by the request decoder's parts: the options, the first error found, and the
// running count of cache_control breakpoints. Decoding functions return false after fail().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "anthropic/field_path.hpp"
#include "anthropic/request_decoder.hpp"
#include "ir/error.hpp"

namespace anyclaude::anthropic {

struct DecodeContext {
    explicit DecodeContext(const DecodeOptions& o) : opt(o) {}

    const DecodeOptions& opt;
    std::size_t cache_breakpoints = 0;
    std::optional<ir::ApiError> error;

    // Records "path: message" as an invalid_request_error; always returns false.
    bool fail(const FieldPath& path, std::string_view message);
    // Records a message that names no field; always returns false.
    bool fail(std::string message);
};

}  // namespace anyclaude::anthropic
