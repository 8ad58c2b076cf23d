// Error, count_tokens and model-list bodies.
#include <gtest/gtest.h>

#include "anthropic/response_encoder.hpp"

namespace anyclaude::anthropic {
namespace {

TEST(Bodies, InvalidRequestError) {
    EXPECT_EQ(error_body(ir::ApiError::invalid_request("max_tokens: Field required")),
              R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}})");
}

TEST(Bodies, ErrorMessageIsEscaped) {
    EXPECT_EQ(error_body(ir::ApiError::api("bad \"quote\"\nline")),
              R"({"type":"error","error":{"type":"api_error","message":"bad \"quote\"\nline"}})");
}

TEST(Bodies, EveryErrorType) {
    EXPECT_EQ(error_body(ir::ApiError::authentication("x")),
              R"({"type":"error","error":{"type":"authentication_error","message":"x"}})");
    EXPECT_EQ(error_body(ir::ApiError::not_found("x")),
              R"({"type":"error","error":{"type":"not_found_error","message":"x"}})");
    EXPECT_EQ(error_body(ir::ApiError::too_large("x")),
              R"({"type":"error","error":{"type":"request_too_large","message":"x"}})");
    EXPECT_EQ(error_body(ir::ApiError::rate_limit("x")),
              R"({"type":"error","error":{"type":"rate_limit_error","message":"x"}})");
}

TEST(Bodies, CountTokens) {
    EXPECT_EQ(count_tokens_body(11868), R"({"input_tokens":11868})");
    EXPECT_EQ(count_tokens_body(0), R"({"input_tokens":0})");
}

TEST(Bodies, Models) {
    EXPECT_EQ(models_body({{"claude-opus-5-5", "Qwen3 Coder 30B"}, {"claude-haiku-4-5", ""}}),
              R"({"data":[)"
              R"({"type":"model","id":"claude-opus-5-5","display_name":"Qwen3 Coder 30B","created_at":"2025-01-01T00:00:00Z"},)"
              R"({"type":"model","id":"claude-haiku-4-5","display_name":"claude-haiku-4-5","created_at":"2025-01-01T00:00:00Z"}],)"
              R"("has_more":false,"first_id":"claude-opus-5-5","last_id":"claude-haiku-4-5"})");
}

TEST(Bodies, EmptyModelList) {
    EXPECT_EQ(models_body({}), R"({"data":[],"has_more":false,"first_id":null,"last_id":null})");
}

}  // namespace
}  // namespace anyclaude::anthropic
