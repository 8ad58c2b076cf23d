// Error, count_tokens and model-list bodies.
#include <gtest/gtest.h>

#include "anthropic/bodies.hpp"

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

// The answers the HTTP transport gives by itself get Anthropic's shape and type from here.
TEST(Bodies, TransportErrors) {
    EXPECT_EQ(transport_error_body(408, "slow"), R"({"type":"error","error":{"type":"timeout_error","message":"slow"}})");
    EXPECT_EQ(transport_error_body(413, "big"),
              R"({"type":"error","error":{"type":"request_too_large","message":"big"}})");
    EXPECT_EQ(transport_error_body(400, "m"), R"({"type":"error","error":{"type":"invalid_request_error","message":"m"}})");
    EXPECT_EQ(transport_error_body(431, "h"), R"({"type":"error","error":{"type":"invalid_request_error","message":"h"}})");
    EXPECT_EQ(transport_error_body(500, "i"), R"({"type":"error","error":{"type":"api_error","message":"i"}})");
}

TEST(Bodies, OneModel) {
    EXPECT_EQ(model_body({"qwen", "Qwen via lmstudio"}),
              R"({"type":"model","id":"qwen","display_name":"Qwen via lmstudio","created_at":"2025-01-01T00:00:00Z"})");
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
