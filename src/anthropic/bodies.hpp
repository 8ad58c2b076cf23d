// The JSON bodies of Anthropic's non-stream answers: errors (the API's and the transport's own),
// count_tokens, and the models listing and single model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/error.hpp"

namespace anyclaude::anthropic {

// {"type":"error","error":{"type":...,"message":...}}
std::string error_body(const ir::ApiError& err);

// {"input_tokens":N}
std::string count_tokens_body(int64_t input_tokens);

struct ModelEntry {
    std::string id;
    std::string display_name;
};
// GET /v1/models body: {"data":[{"type":"model","id",...}],"has_more":false,"first_id","last_id"}
std::string models_body(const std::vector<ModelEntry>& models);
// One model: GET /v1/models/{id}.
std::string model_body(const ModelEntry& model);

// The error body of an answer the HTTP transport gives by itself (http::ErrorBody): 400
// malformed, 408 too slow, 413, 431, 500, with Anthropic's error type for each.
std::string transport_error_body(unsigned status, std::string_view message);

}  // namespace anyclaude::anthropic
