// Exact count_tokens from the upstream: each method's answer read from recorded shapes, the
// method chosen by what the server answers (llama-server's input_tokens endpoint, its
// apply-template + tokenize pair, vLLM's /tokenize, else the estimate), and the LRU that spares
// the server a repeated count.
#include <gtest/gtest.h>

#include "backends/upstream_token_count.hpp"
#include "support/loopback.hpp"

namespace anyclaude::backends {
namespace {

TEST(UpstreamTokenCount, AnswersAreRead) {
    EXPECT_EQ(read_input_tokens(R"({"input_tokens":11759,"object":"response.input_tokens"})"), 11759);
    EXPECT_EQ(read_applied_prompt(R"({"prompt":"<|im_start|>system\nhi"})"), "<|im_start|>system\nhi");
    EXPECT_EQ(read_token_list(R"({"tokens":[1,2,3]})"), 3);
    EXPECT_EQ(read_vllm_count(R"({"count":42,"max_model_len":32768,"tokens":[1],"token_strs":null})"), 42);
    EXPECT_FALSE(read_input_tokens(R"x({"error":"Unexpected endpoint or method. (POST /v1/chat/completions/input_tokens)"})x"));
    EXPECT_FALSE(read_token_list("not json"));
    EXPECT_EQ(vllm_tokenize_body(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[],"max_tokens":5,"stream":true})"),
              R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[],"add_generation_prompt":true})");
}

struct Server {
    test::IoThread io;
    test::ScriptedUpstream up{io.executor()};
    http::ConnectionPool pool;
    std::unique_ptr<UpstreamTokenCounter> counter;
    Server() { counter = std::make_unique<UpstreamTokenCounter>(*http::Url::parse(up.base_url()), "", nullptr); }
    std::optional<int64_t> count(const std::string& body) {
        return net::co_spawn(io.executor(), counter->count(body), net::use_future).get();
    }
};

const std::string kBody = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true})";

TEST(UpstreamTokenCount, LlamaServerInputTokensFirstAndCached) {
    Server s;
    EXPECT_EQ(s.counter->method(), "");
    s.up.route("POST /v1/chat/completions/input_tokens", 200, R"({"input_tokens":17})");
    EXPECT_EQ(s.count(kBody), 17);
    EXPECT_EQ(s.counter->method(), "llama-server /v1/chat/completions/input_tokens");
    EXPECT_EQ(s.count(kBody), 17);
    EXPECT_EQ(s.counter->cache_hits(), 1u);
    EXPECT_EQ(s.up.routed_requests().size(), 1u) << "the repeat was answered from the cache";
}

TEST(UpstreamTokenCount, OlderLlamaServerApplyTemplateThenTokenize) {
    Server s;
    s.up.route("POST /apply-template", 200, R"({"prompt":"<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"})");
    s.up.route("POST /tokenize", 200, R"({"tokens":[151644,872,198,6023,151645,198,151644,77091,198]})");
    EXPECT_EQ(s.count(kBody), 9);
    EXPECT_EQ(s.counter->method(), "llama-server /apply-template+/tokenize");
    EXPECT_EQ(s.up.routed_requests(), (std::vector<std::string>{"POST /v1/chat/completions/input_tokens",
                                                                "POST /apply-template", "POST /tokenize"}));
}

TEST(UpstreamTokenCount, VllmTokenize) {
    Server s;
    s.up.route("POST /tokenize", 200, R"({"count":12,"max_model_len":32768,"tokens":[]})");
    EXPECT_EQ(s.count(kBody), 12);
    EXPECT_EQ(s.counter->method(), "vLLM /tokenize");
}

TEST(UpstreamTokenCount, NoCountingEndpointMeansEstimate) {
    Server s;  // every endpoint answers 404 (LM Studio, MLX-LM, Ollama)
    EXPECT_FALSE(s.count(kBody));
    EXPECT_EQ(s.counter->method(), "estimate");
    auto asked = s.up.routed_requests().size();
    EXPECT_FALSE(s.count(kBody + " "));
    EXPECT_EQ(s.up.routed_requests().size(), asked) << "decided once, not asked again at once";
}

}  // namespace
}  // namespace anyclaude::backends
