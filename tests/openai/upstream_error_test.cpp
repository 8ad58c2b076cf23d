// Tests of map_upstream_error on the error bodies each backend sends.
#include <gtest/gtest.h>

#include "openai/upstream_error.hpp"
#include "openai/upstream_error_body.hpp"

namespace anyclaude::openai {
namespace {

const char* kUrl = "http://127.0.0.1:8080/v1/chat/completions";

TEST(UpstreamError, OpenAiShapeKeepsMessageAndMapsStatus) {
    auto e = map_upstream_error(404, R"({"error":{"message":"model 'qwen9' not found","type":"api_error","param":null,"code":null}})", kUrl);
    EXPECT_EQ(e.status, 404);
    EXPECT_EQ(e.type, "not_found_error");
    EXPECT_EQ(e.message, "upstream http://127.0.0.1:8080/v1/chat/completions returned 404: model 'qwen9' not found");
}

TEST(UpstreamError, LlamaServerContextOverflowIsPromptTooLong) {
    auto e = map_upstream_error(
        400,
        R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":40120,"n_ctx":32768}})",
        kUrl);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.message, std::string("prompt is too long: 40120 tokens > 32768 maximum: upstream ") + kUrl +
                             " returned 400: the request exceeds the available context size, try increasing it");
}

TEST(UpstreamError, LmStudioStringErrorContextOverflow) {
    auto e = map_upstream_error(
        400, R"({"error":"The number of tokens to keep from the initial prompt is greater than the context length. Try to load the model with a larger context length."})",
        kUrl);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_TRUE(e.message.starts_with("prompt is too long: upstream")) << e.message;
    EXPECT_NE(e.message.find("greater than the context length"), std::string::npos);
}

TEST(UpstreamError, VllmFlatShape) {
    auto e = map_upstream_error(404, R"({"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404})", kUrl);
    EXPECT_EQ(e.type, "not_found_error");
    EXPECT_EQ(e.message, std::string("upstream ") + kUrl + " returned 404: The model `x` does not exist.");
    auto overflow = map_upstream_error(
        400, R"({"error":{"message":"This model's maximum context length is 32768 tokens. However, you requested 160000 tokens.","type":"BadRequestError","param":null,"code":400}})",
        kUrl);
    EXPECT_TRUE(overflow.message.starts_with("prompt is too long: "));
}

TEST(UpstreamError, MlxStringError) {
    auto e = map_upstream_error(404, R"({"error":"Only 'text' content type is supported."})", kUrl);
    EXPECT_EQ(e.type, "not_found_error");
    EXPECT_EQ(e.message, std::string("upstream ") + kUrl + " returned 404: Only 'text' content type is supported.");
}

TEST(UpstreamError, FastApiDetail) {
    EXPECT_EQ(map_upstream_error(404, R"({"detail":"Not Found"})", kUrl).message, std::string("upstream ") + kUrl + " returned 404: Not Found");
    auto e = map_upstream_error(422, R"({"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"},{"msg":"bad role"}]})", kUrl);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.message, std::string("upstream ") + kUrl + " returned 422: field required; bad role");
}

TEST(UpstreamError, PlainTextAndEmptyBodies) {
    auto bad_gateway = map_upstream_error(502, "Bad Gateway\n", kUrl);
    EXPECT_EQ(bad_gateway.status, 500);
    EXPECT_EQ(bad_gateway.type, "api_error");
    EXPECT_EQ(bad_gateway.message, std::string("upstream ") + kUrl + " returned 502: Bad Gateway");
    auto unavailable = map_upstream_error(503, "", kUrl);
    EXPECT_EQ(unavailable.type, "overloaded_error");
    EXPECT_EQ(unavailable.message, std::string("upstream ") + kUrl + " returned 503: (empty body)");
    auto html = map_upstream_error(500, "<html>" + std::string(10000, 'x') + "</html>", kUrl);
    EXPECT_LT(html.message.size(), 2200u);
    EXPECT_TRUE(html.message.ends_with("..."));
}

TEST(UpstreamError, StatusMapping) {
    EXPECT_EQ(map_upstream_error(401, R"({"error":{"message":"bad key"}})", kUrl).type, "authentication_error");
    EXPECT_EQ(map_upstream_error(403, "{}", kUrl).type, "permission_error");
    EXPECT_EQ(map_upstream_error(429, "slow down", kUrl).type, "rate_limit_error");
    EXPECT_EQ(map_upstream_error(411, "Length Required", kUrl).type, "invalid_request_error");
    EXPECT_EQ(map_upstream_error(500, R"({"error":{"message":"boom"}})", kUrl).type, "api_error");
}

TEST(UpstreamError, JsonWithoutAMessageIsQuotedWhole) {
    EXPECT_EQ(map_upstream_error(500, R"({"status":"failed"})", kUrl).message,
              std::string("upstream ") + kUrl + R"( returned 500: {"status":"failed"})");
}

TEST(UpstreamError, NoUrl) {
    EXPECT_EQ(map_upstream_error(500, "oops", "").message, "upstream returned 500: oops");
}

// Found by fuzzing: excerpts were cut by byte count and copied verbatim, so the error JSON
// could carry half a character or bytes that are not UTF-8.
TEST(Utf8Excerpt, CutsAtACharacterBoundaryAndReplacesInvalidBytes) {
    EXPECT_EQ(utf8_excerpt("plain ascii", 100), "plain ascii");
    EXPECT_EQ(utf8_excerpt("abcdef", 3), "abc...");
    // "é" is two bytes (C3 A9): a cut after its first byte drops it whole.
    EXPECT_EQ(utf8_excerpt("ab\xC3\xA9" "cd", 3), "ab...");
    EXPECT_EQ(utf8_excerpt("ab\xC3\xA9" "cd", 4), "ab\xC3\xA9...");
    // A 4-byte character at the cut point.
    EXPECT_EQ(utf8_excerpt("x\xF0\x9F\x98\x80" "y", 3), "x...");
    // Invalid bytes become U+FFFD (EF BF BD).
    EXPECT_EQ(utf8_excerpt("a\xFF" "b", 100), "a\xEF\xBF\xBD" "b");
    EXPECT_EQ(utf8_excerpt("a\xC3", 100), "a\xEF\xBF\xBD");  // truncated sequence at the end
}

TEST(UpstreamError, PlainTextBodyWithInvalidUtf8GivesAValidMessage) {
    auto e = map_upstream_error(500, std::string("boom \xFF\xFE" " end"), kUrl);
    EXPECT_EQ(e.status, 500);
    EXPECT_NE(e.message.find("boom \xEF\xBF\xBD"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find('\xFF'), std::string::npos);
}

}  // namespace
}  // namespace anyclaude::openai
