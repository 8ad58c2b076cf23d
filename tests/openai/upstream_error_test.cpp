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

// Each backend's own context error, in its real wording (../shared/BACKENDS.md and the backends'
// sources), and what the client gets. `want` is the whole message, or (no_numbers) its start.
struct ContextCase {
    const char* backend;
    const char* body;
    const char* want;
    bool no_numbers = false;
};

const ContextCase kContextCases[] = {
    {"llama-server",
     R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":40120,"n_ctx":32768}})",
     "prompt is too long: 40120 tokens > 32768 maximum"},
    {"vLLM <= 0.9, the prompt alone is over",
     R"({"error":{"message":"This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (35000 in the messages, 5000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}})",
     "prompt is too long: 35000 tokens > 32768 maximum"},
    {"vLLM <= 0.9, only prompt + max_tokens is over",
     R"({"object":"error","message":"This model's maximum context length is 32768 tokens. However, you requested 60000 tokens (28000 in the messages, 32000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400})",
     "max_tokens does not fit: the prompt has 28000 of the model's 32768 tokens, leaving 4768 for the answer"},
    {"vLLM >= 0.10, prompt",
     R"({"error":{"message":"This model's maximum context length is 32768 tokens. However, your request has 40120 input tokens. Please reduce the length of the input messages. None","type":"BadRequestError","param":null,"code":400}})",
     "prompt is too long: 40120 tokens > 32768 maximum"},
    {"vLLM >= 0.10, max_tokens",
     R"({"error":{"message":"'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has 12000 input tokens (32000 > 32768 - 12000). None","type":"BadRequestError","param":null,"code":400}})",
     "max_tokens does not fit: the prompt has 12000 of the model's 32768 tokens, leaving 20768 for the answer"},
    {"SGLang, prompt",
     R"({"object":"error","message":"The input (40120 tokens) is longer than the model's context length (32768 tokens).","type":"BadRequestError","param":null,"code":400})",
     "prompt is too long: 40120 tokens > 32768 maximum"},
    {"SGLang, max_tokens",
     R"({"object":"error","message":"Requested token count exceeds the model's maximum context length of 32768 tokens. You requested a total of 44000 tokens: 12000 tokens from the input messages and 32000 tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.","type":"BadRequestError","param":null,"code":400})",
     "max_tokens does not fit: the prompt has 12000 of the model's 32768 tokens, leaving 20768 for the answer"},
    {"OpenAI",
     R"({"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})",
     "prompt is too long: 9000 tokens > 8192 maximum"},
    {"LM Studio",
     R"({"error":"The number of tokens to keep from the initial prompt is greater than the context length. Try to load the model with a larger context length, or provide a shorter input"})",
     "prompt is too long: upstream http://127.0.0.1:8080/v1/chat/completions returned 400: The number of tokens to keep",
     true},
    {"Ollama",
     R"({"error":{"message":"the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length","type":"invalid_request_error","param":null,"code":null}})",
     "prompt is too long: upstream http://127.0.0.1:8080/v1/chat/completions returned 400: the prompt is longer", true},
    // MLX-LM has no context check: it runs whatever it gets (BACKENDS.md section 1).
};

TEST(UpstreamError, EachBackendsContextErrorIsTranslated) {
    for (const auto& c : kContextCases) {
        auto e = map_upstream_error(400, c.body, kUrl);
        EXPECT_EQ(e.status, 400) << c.backend;
        EXPECT_EQ(e.type, "invalid_request_error") << c.backend;
        if (c.no_numbers)
            EXPECT_TRUE(e.message.starts_with(c.want)) << c.backend << ": " << e.message;
        else
            EXPECT_EQ(e.message, c.want) << c.backend;
    }
}

// Claude Code 2.1.328 takes any of these (with status 400) for a prompt that is too long and
// compacts (research file section 5): a max_tokens overflow must say none of them.
TEST(UpstreamError, AMaxTokensOverflowSaysNothingClaudeCodeReadsAsPromptTooLong) {
    const char* phrases[] = {"prompt is too long", "input is too long for requested model", "maximum context length",
                             "context_length_exceeded", "exceeds the context window", "contextwindowexceedederror",
                             "longer than the maximum model length", "longer than the model's context length",
                             "exceeds the available context size", "exceeds the maximum number of tokens allowed",
                             "exceeded model token limit", "input token length too long",
                             "input tokens exceed the configured limit", "maximum context limit", "maximum prompt length",
                             "prompt exceeds max length", "tokens in request more than max tokens allowed",
                             "range of input length should be", "context window exceeds limit",
                             "but model only supports up to", "reduce the length of the messages",
                             "`inputs` tokens + `max_new_tokens` must be", "context exceeds your deployment",
                             "input length and `max_tokens` exceed context limit"};
    int output_cases = 0;
    for (const auto& c : kContextCases) {
        auto read = read_upstream_error(400, c.body, kUrl);
        ASSERT_TRUE(read.overflow) << c.backend;
        if (read.overflow->kind != ContextOverflow::Kind::output) continue;
        ++output_cases;
        for (const char* p : phrases) EXPECT_EQ(read.error.message.find(p), std::string::npos) << c.backend << ": " << p;
    }
    EXPECT_EQ(output_cases, 3);
}

TEST(UpstreamError, ContextOverflowCarriesTheNumbersAndTheBackend) {
    auto o = context_overflow(kContextCases[4].body);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->backend, "vLLM");
    EXPECT_EQ(o->kind, ContextOverflow::Kind::output);
    EXPECT_EQ(o->prompt_tokens, 12000);
    EXPECT_EQ(o->window, 32768);
    EXPECT_FALSE(context_overflow(R"({"error":{"message":"model 'qwen9' not found"}})"));
    // A wording with its numbers cut off is still a context error, without numbers.
    auto cut = context_overflow(R"({"error":"This model's maximum context length is 32768 tokens. However, you requ"})");
    ASSERT_TRUE(cut);
    EXPECT_FALSE(cut->prompt_tokens);
}

TEST(UpstreamError, VllmFlatShape) {
    auto e = map_upstream_error(404, R"({"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404})", kUrl);
    EXPECT_EQ(e.type, "not_found_error");
    EXPECT_EQ(e.message, std::string("upstream ") + kUrl + " returned 404: The model `x` does not exist.");
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
