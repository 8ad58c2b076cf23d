// The window probes on answers recorded in the shapes each backend documents, and the shared
// max_tokens / refusal / grace arithmetic.
#include <gtest/gtest.h>

#include <string>

#include "backends/context_window.hpp"

namespace anyclaude::backends {
namespace {

const WindowProbe& probe(const std::string& source) {
    for (const auto& p : window_probes())
        if (p.source == source) return p;
    throw std::runtime_error("no probe " + source);
}

struct ProbeCase {
    const char* source;
    const char* model;
    const char* body;
    std::optional<int64_t> want;
};

// LM Studio answers paths it does not have with 200 and {"error":"Unexpected endpoint..."}, so
// every reader must find its own shape or nothing.
const char* kLmStudioUnknown = R"({"error":"Unexpected endpoint or method. (GET /props). Returning 200 anyway"})";

const ProbeCase kCases[] = {
    // llama-server GET /props
    {"llama-server /props", "", R"({"default_generation_settings":{"id":0,"n_ctx":8192,"speculative":false,"params":{"n_predict":-1}},"total_slots":1,"model_path":"/m/qwen.gguf","chat_template":"...","build_info":"b6000"})", 8192},
    {"llama-server /props", "", kLmStudioUnknown, std::nullopt},
    // LM Studio GET /api/v0/models: the loaded model's loaded_context_length, never a not-loaded one's maximum
    {"LM Studio /api/v0/models loaded_context_length", "qwen3-coder-30b",
     R"({"object":"list","data":[{"id":"qwen2-vl-7b-instruct","object":"model","type":"vlm","state":"not-loaded","max_context_length":32768},{"id":"qwen3-coder-30b","object":"model","type":"llm","publisher":"lmstudio-community","arch":"qwen3moe","compatibility_type":"gguf","quantization":"Q4_K_M","state":"loaded","max_context_length":262144,"loaded_context_length":65536}]})",
     65536},
    {"LM Studio /api/v0/models loaded_context_length", "qwen2-vl-7b-instruct",
     R"({"object":"list","data":[{"id":"qwen2-vl-7b-instruct","state":"not-loaded","max_context_length":32768},{"id":"a","state":"loaded","loaded_context_length":4096},{"id":"b","state":"loaded","loaded_context_length":8192}]})",
     std::nullopt},
    // one loaded model answers whatever the name (LM Studio bug tracker #619)
    {"LM Studio /api/v0/models loaded_context_length", "other",
     R"({"data":[{"id":"qwen3-8b","state":"loaded","max_context_length":40960,"loaded_context_length":16384}]})", 16384},
    // Ollama GET /api/ps: the running model's context_length (its num_ctx)
    {"Ollama /api/ps context_length", "qwen2.5-coder:7b",
     R"({"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b","size":5618579456,"digest":"dae1","details":{"format":"gguf","family":"qwen2"},"expires_at":"2025-08-06T14:23:28.7482+02:00","size_vram":5618579456,"context_length":4096}]})",
     4096},
    {"Ollama /api/ps context_length", "hermes3", R"({"models":[{"name":"hermes3:latest","model":"hermes3:latest","context_length":16384}]})", 16384},
    {"Ollama /api/ps context_length", "qwen3", R"({"models":[]})", std::nullopt},  // not loaded yet
    // Ollama POST /api/show: num_ctx from the Modelfile parameters; model_info's training context is not it
    {"Ollama /api/show num_ctx", "qwen3",
     R"({"modelfile":"FROM qwen3","parameters":"num_ctx                        40960\nstop                           \"<|im_end|>\"","template":"...","details":{"family":"qwen3"},"model_info":{"general.architecture":"qwen3","qwen3.context_length":131072},"capabilities":["completion","tools"]})",
     40960},
    {"Ollama /api/show num_ctx", "qwen3",
     R"({"parameters":"stop \"<|im_end|>\"","model_info":{"general.architecture":"qwen3","qwen3.context_length":131072}})", std::nullopt},
    // vLLM and SGLang GET /v1/models
    {"vLLM/SGLang /v1/models max_model_len", "Qwen/Qwen3-Coder-30B-A3B-Instruct",
     R"({"object":"list","data":[{"id":"Qwen/Qwen3-Coder-30B-A3B-Instruct","object":"model","created":1754000000,"owned_by":"vllm","root":"Qwen/Qwen3-Coder-30B-A3B-Instruct","parent":null,"max_model_len":65536,"permission":[]}]})",
     65536},
    {"vLLM/SGLang /v1/models max_model_len", "a", R"({"data":[{"id":"a","max_model_len":8192},{"id":"b","max_model_len":4096}]})", 8192},
    {"vLLM/SGLang /v1/models max_model_len", "c", R"({"data":[{"id":"a","max_model_len":8192},{"id":"b","max_model_len":4096}]})", std::nullopt},
    // llama-server GET /v1/models: the training context, when /props told nothing
    {"llama-server /v1/models meta.n_ctx_train", "",
     R"({"object":"list","data":[{"id":"qwen.gguf","object":"model","created":1754000000,"owned_by":"llamacpp","meta":{"vocab_type":2,"n_vocab":151936,"n_ctx_train":131072,"n_embd":2048,"n_params":3000000000,"size":1800000000}}]})",
     131072},
    {"llama-server /v1/models meta.n_ctx_train", "", "not json", std::nullopt},
};

TEST(ContextWindow, EachProbeReadsItsBackendsAnswer) {
    for (const auto& c : kCases) {
        const auto& p = probe(c.source);
        EXPECT_EQ(p.read(c.body, c.model), c.want) << c.source << " / " << c.model;
        if (std::string(c.body) != kLmStudioUnknown)
            EXPECT_EQ(p.read(kLmStudioUnknown, c.model), std::nullopt) << c.source;
    }
}

TEST(ContextWindow, ProbesAreMostExactFirstAndOllamaTruncates) {
    const auto& probes = window_probes();
    ASSERT_FALSE(probes.empty());
    EXPECT_STREQ(probes.front().source, "llama-server /props");
    EXPECT_STREQ(probes.back().source, "llama-server /v1/models meta.n_ctx_train");
    for (const auto& p : probes) EXPECT_EQ(p.truncates, std::string(p.backend) == "Ollama") << p.source;
    EXPECT_EQ(probe_body(probe("Ollama /api/show num_ctx"), "qwen3"), R"({"model":"qwen3"})");
    EXPECT_EQ(probe_body(probe("llama-server /props"), "qwen3"), "");
}

TEST(ContextWindow, MaxTokensFitsTheWindowAndNeverDropsBelowOne) {
    EXPECT_EQ(fit_max_tokens(32000, 12000, 32768), 20768);
    EXPECT_EQ(fit_max_tokens(32000, 12000, 131072), 32000);
    EXPECT_EQ(fit_max_tokens(32000, 40000, 32768), 1);
    EXPECT_EQ(fit_max_tokens(32000, 32768, 32768), 1);
    EXPECT_EQ(fit_max_tokens(32000, 12000, 0), 32000);  // window not known: the backend bounds it
}

TEST(ContextWindow, OnlyAClearlyOverEstimateIsRefusedLocally) {
    EXPECT_FALSE(clearly_over(40960, 32768));  // 1.25x: the backend's exact count decides
    EXPECT_TRUE(clearly_over(40961, 32768));
    EXPECT_FALSE(clearly_over(1'000'000, 0));  // nothing known: never
}

TEST(ContextWindow, TheStatusIsHeldLongerNearTheWindow) {
    using std::chrono::milliseconds;
    EXPECT_EQ(commit_grace(1000, 32768, milliseconds(2000), milliseconds(30000)), milliseconds(2000));
    EXPECT_EQ(commit_grace(24576, 32768, milliseconds(2000), milliseconds(30000)), milliseconds(30000));
    EXPECT_EQ(commit_grace(24575, 32768, milliseconds(2000), milliseconds(30000)), milliseconds(2000));
    // An unknown window is taken as the default one.
    EXPECT_EQ(commit_grace(30000, 0, milliseconds(2000), milliseconds(30000)), milliseconds(30000));
}

}  // namespace
}  // namespace anyclaude::backends
