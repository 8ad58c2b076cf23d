// Tests of anyclaude-make-model (tools/make_model.cpp): the models it writes load in llama.cpp as
// real qwen2/qwen3 models with Qwen's tokenizer, special tokens and chat template, decode to finite
// logits, generate deterministically, and the files are byte-identical for the same seed.

#include <chat.h>
#include <gtest/gtest.h>
#include <llama.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#ifndef ANYCLAUDE_MAKE_MODEL
#error "ANYCLAUDE_MAKE_MODEL must name the built anyclaude-make-model"
#endif

namespace {

namespace fs = std::filesystem;

constexpr llama_token kEndOfText = 151643;
constexpr llama_token kImStart = 151644;
constexpr llama_token kImEnd = 151645;
constexpr llama_token kToolCall = 151657;
constexpr llama_token kToolCallEnd = 151658;
constexpr llama_token kThinkEnd = 151668;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A folder of its own under the system temp folder, removed when the test program exits.
struct ScratchDir {
    fs::path path = fs::temp_directory_path() / ("anyclaude-make-model-test-" + std::to_string(getpid()));
    ScratchDir() { fs::create_directories(path); }
    ~ScratchDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

const fs::path& scratch_dir() {
    static const ScratchDir dir;
    return dir.path;
}

// Runs the tool with `args`; returns its exit status and leaves its output in `log`.
int run_make_model(const std::string& args, std::string& log) {
    const fs::path log_path = scratch_dir() / "make_model.log";
    const std::string command = std::string("'") + ANYCLAUDE_MAKE_MODEL + "' " + args + " > '" +
                                log_path.string() + "' 2>&1";
    const int status = std::system(command.c_str());
    log = slurp(log_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Writes a model once per test program; later calls with the same arguments reuse the file.
fs::path make_model(const std::string& name, const std::string& args) {
    const fs::path path = scratch_dir() / (name + ".gguf");
    if (!fs::exists(path)) {
        std::string log;
        const int rc = run_make_model("--out '" + path.string() + "' " + args, log);
        EXPECT_EQ(rc, 0) << log;
    }
    return path;
}

void quiet_log(ggml_log_level level, const char* text, void*) {
    if (level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

struct ModelDeleter {
    void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
    void operator()(llama_context* c) const { llama_free(c); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;

ModelPtr load_model(const fs::path& path) {
    static const bool initialised = [] {
        llama_log_set(quiet_log, nullptr);
        llama_backend_init();
        return true;
    }();
    (void)initialised;
    llama_model_params params = llama_model_default_params();
    params.n_gpu_layers = 0;
    return ModelPtr(llama_model_load_from_file(path.string().c_str(), params));
}

ContextPtr new_context(llama_model* model) {
    llama_context_params params = llama_context_default_params();
    params.n_ctx = 256;
    params.n_batch = 256;
    params.n_ubatch = 256;
    params.n_threads = 2;
    params.n_threads_batch = 2;
    params.no_perf = true;
    return ContextPtr(llama_init_from_model(model, params));
}

std::vector<llama_token> tokenize(const llama_vocab* vocab, const std::string& text, bool special) {
    std::vector<llama_token> tokens(text.size() + 8);
    int n = llama_tokenize(vocab, text.data(), int32_t(text.size()), tokens.data(), int32_t(tokens.size()),
                           /*add_special=*/false, special);
    if (n < 0) {
        tokens.resize(size_t(-n));
        n = llama_tokenize(vocab, text.data(), int32_t(text.size()), tokens.data(), int32_t(tokens.size()),
                           false, special);
    }
    tokens.resize(size_t(std::max(n, 0)));
    return tokens;
}

std::string meta(const llama_model* model, const char* key) {
    char buf[256] = {};
    return llama_model_meta_val_str(model, key, buf, sizeof buf) < 0 ? std::string() : std::string(buf);
}

// Decodes `prompt`, then picks the most likely token `steps` times; checks every logit is finite.
std::vector<llama_token> greedy(llama_context* ctx, std::vector<llama_token> prompt, int steps) {
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(ctx)));
    std::vector<llama_token> generated;
    std::vector<llama_token> next = std::move(prompt);
    for (int step = 0; step < steps; ++step) {
        if (llama_decode(ctx, llama_batch_get_one(next.data(), int32_t(next.size()))) != 0) {
            ADD_FAILURE() << "llama_decode failed at step " << step;
            break;
        }
        const float* logits = llama_get_logits_ith(ctx, -1);
        llama_token best = 0;
        for (llama_token t = 0; t < n_vocab; ++t) {
            if (!std::isfinite(logits[t])) {
                ADD_FAILURE() << "logit of token " << t << " is " << logits[t];
                return generated;
            }
            if (logits[t] > logits[best]) best = t;
        }
        generated.push_back(best);
        next = {best};
    }
    return generated;
}

// The tokenizer test cases that ship with the vocab file: texts split by a marker line, and the
// expected token ids of each, one line per text.
struct VocabCase {
    std::string text;
    std::vector<llama_token> expected;
};

std::vector<VocabCase> vocab_cases() {
    const std::string models = ANYCLAUDE_LLAMA_MODELS_DIR;
    const std::string inputs = slurp(models + "/ggml-vocab-qwen2.gguf.inp");
    std::ifstream outputs(models + "/ggml-vocab-qwen2.gguf.out");
    const std::string marker = "\n__ggml_vocab_test__\n";
    std::vector<VocabCase> cases;
    for (size_t pos = 0; pos < inputs.size();) {
        const size_t end = inputs.find(marker, pos);
        cases.push_back({inputs.substr(pos, end == std::string::npos ? std::string::npos : end - pos), {}});
        if (end == std::string::npos) break;
        pos = end + marker.size();
    }
    std::string line;
    for (auto& c : cases) {
        if (!std::getline(outputs, line)) break;
        std::istringstream ids(line);
        for (llama_token id; ids >> id;) c.expected.push_back(id);
    }
    return cases;
}

struct ArchCase {
    std::string arch;
    std::string tool_call_marker;  // text the arch's default chat template must contain
};

void PrintTo(const ArchCase& c, std::ostream* os) { *os << c.arch; }

class MadeModel : public testing::TestWithParam<ArchCase> {
protected:
    void SetUp() override {
        path_ = make_model("tiny-" + GetParam().arch, "--arch " + GetParam().arch + " --shape tiny --seed 7");
        model_ = load_model(path_);
        ASSERT_NE(model_, nullptr) << "llama.cpp could not load " << path_;
        vocab_ = llama_model_get_vocab(model_.get());
    }

    fs::path path_;
    ModelPtr model_;
    const llama_vocab* vocab_ = nullptr;
};

TEST_P(MadeModel, HasTheArchitectureAndShape) {
    EXPECT_EQ(meta(model_.get(), "general.architecture"), GetParam().arch);
    EXPECT_EQ(llama_model_n_layer(model_.get()), 2);
    EXPECT_EQ(llama_model_n_embd(model_.get()), 64);
    EXPECT_EQ(llama_model_n_ctx_train(model_.get()), 32768);
    EXPECT_GE(llama_vocab_n_tokens(vocab_), 151669);
}

TEST_P(MadeModel, HasQwenSpecialTokens) {
    EXPECT_EQ(llama_vocab_eos(vocab_), kImEnd);
    EXPECT_EQ(llama_vocab_pad(vocab_), kEndOfText);
    EXPECT_FALSE(llama_vocab_get_add_bos(vocab_));
    EXPECT_TRUE(llama_vocab_is_eog(vocab_, kImEnd));
    EXPECT_TRUE(llama_vocab_is_eog(vocab_, kEndOfText));
    EXPECT_TRUE(llama_vocab_is_control(vocab_, kImStart));
    EXPECT_FALSE(llama_vocab_is_control(vocab_, kToolCall));
    EXPECT_TRUE(llama_vocab_get_attr(vocab_, kToolCall) & LLAMA_TOKEN_ATTR_USER_DEFINED);
    EXPECT_STREQ(llama_vocab_get_text(vocab_, kToolCall), "<tool_call>");
    EXPECT_STREQ(llama_vocab_get_text(vocab_, kToolCallEnd), "</tool_call>");
    EXPECT_STREQ(llama_vocab_get_text(vocab_, 151664), "<|file_sep|>");
    EXPECT_STREQ(llama_vocab_get_text(vocab_, 151665), "<tool_response>");
    EXPECT_STREQ(llama_vocab_get_text(vocab_, kThinkEnd), "</think>");
}

TEST_P(MadeModel, TokenizesChatMarkupAsSpecialTokens) {
    const auto tokens = tokenize(vocab_, "<|im_start|>user\nhi<|im_end|>", /*special=*/true);
    ASSERT_GE(tokens.size(), 3u);
    EXPECT_EQ(tokens.front(), kImStart);
    EXPECT_EQ(tokens.back(), kImEnd);
    const auto tool_call = tokenize(vocab_, "<tool_call>\n{}\n</tool_call>", true);
    ASSERT_GE(tool_call.size(), 2u);
    EXPECT_EQ(tool_call.front(), kToolCall);
    EXPECT_EQ(tool_call.back(), kToolCallEnd);
    // Without special parsing, control tokens are plain text.
    EXPECT_NE(tokenize(vocab_, "<|im_start|>", false).front(), kImStart);
}

TEST_P(MadeModel, TokenizesTextLikeTheReferenceTokenizer) {
    const auto cases = vocab_cases();
    ASSERT_GE(cases.size(), 10u);
    for (const auto& c : cases) {
        EXPECT_EQ(tokenize(vocab_, c.text, false), c.expected) << "text: '" << c.text << "'";
    }
}

TEST_P(MadeModel, HasAToolCapableChatTemplate) {
    const char* chat_template = llama_model_chat_template(model_.get(), nullptr);
    ASSERT_NE(chat_template, nullptr);
    const std::string text = chat_template;
    EXPECT_NE(text.find("<|im_start|>"), std::string::npos);
    EXPECT_NE(text.find("tools"), std::string::npos);
    EXPECT_NE(text.find(GetParam().tool_call_marker), std::string::npos);
}

TEST_P(MadeModel, DecodesFiniteLogitsAndGeneratesDeterministically) {
    const auto prompt = tokenize(vocab_, "<|im_start|>user\nWrite a haiku.<|im_end|>\n<|im_start|>assistant\n", true);
    auto first_ctx = new_context(model_.get());
    auto second_ctx = new_context(model_.get());
    ASSERT_NE(first_ctx, nullptr);
    ASSERT_NE(second_ctx, nullptr);
    const auto first = greedy(first_ctx.get(), prompt, 6);
    const auto second = greedy(second_ctx.get(), prompt, 6);
    EXPECT_EQ(first.size(), 6u);
    EXPECT_EQ(first, second);
}

INSTANTIATE_TEST_SUITE_P(Arch, MadeModel,
                         testing::Values(ArchCase{"qwen2", "<tool_call>"}, ArchCase{"qwen3", "<tool_call>"}),
                         [](const auto& info) { return info.param.arch; });

// llama.cpp's chat layer (what the engine renders prompts with) understands each template's
// tool calls: it renders the tools into the prompt and returns a tool-call grammar.
class TemplateRender : public testing::TestWithParam<std::string> {};

TEST_P(TemplateRender, RendersToolsThroughLlamaCommonChat) {
    const std::string& name = GetParam();
    const std::string arch = name == "qwen2.5" ? "qwen2" : "qwen3";
    auto model = load_model(make_model("template-" + name, "--arch " + arch + " --template " + name + " --layers 1"));
    ASSERT_NE(model, nullptr);
    auto templates = common_chat_templates_init(model.get(), "");
    ASSERT_NE(templates, nullptr);

    common_chat_templates_inputs inputs;
    inputs.messages.push_back({});
    inputs.messages.back().role = "system";
    inputs.messages.back().content = "You are terse.";
    inputs.messages.push_back({});
    inputs.messages.back().role = "user";
    inputs.messages.back().content = "Weather in Paris?";
    inputs.tools.push_back({"get_weather", "Current weather of a city",
                            R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})"});
    const common_chat_params params = common_chat_templates_apply(templates.get(), inputs);

    EXPECT_EQ(params.prompt.rfind("<|im_start|>system\n", 0), 0u) << params.prompt;
    EXPECT_NE(params.prompt.find("get_weather"), std::string::npos) << params.prompt;
    EXPECT_NE(params.prompt.find("<|im_start|>assistant\n"), std::string::npos) << params.prompt;
    EXPECT_NE(params.format, COMMON_CHAT_FORMAT_CONTENT_ONLY);
    EXPECT_FALSE(params.grammar.empty());
    const auto tokens = tokenize(llama_model_get_vocab(model.get()), params.prompt, true);
    ASSERT_FALSE(tokens.empty());
    EXPECT_EQ(tokens.front(), kImStart);
}

INSTANTIATE_TEST_SUITE_P(Template, TemplateRender, testing::Values("qwen2.5", "qwen3", "qwen3-coder"),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             return name;
                         });

TEST(MakeModel, SameSeedWritesTheSameBytesAndAnotherSeedDoesNot) {
    const std::string args = "--arch qwen2 --shape tiny --layers 1 --type f16";
    const auto a = slurp(make_model("seed-11-a", args + " --seed 11"));
    const auto b = slurp(make_model("seed-11-b", args + " --seed 11"));
    const auto c = slurp(make_model("seed-12", args + " --seed 12"));
    ASSERT_GT(a.size(), 1000000u);
    EXPECT_TRUE(a == b) << "same seed, different bytes";
    EXPECT_EQ(a.size(), c.size());
    EXPECT_FALSE(a == c) << "different seeds, same bytes";
}

TEST(MakeModel, WritesQ8ModelWithTheQwen3CoderTemplate) {
    const auto path = make_model("qwen3-coder-q8", "--arch qwen3 --template qwen3-coder --type q8_0 --seed 3");
    auto model = load_model(path);
    ASSERT_NE(model, nullptr);
    const std::string chat_template = llama_model_chat_template(model.get(), nullptr);
    EXPECT_NE(chat_template.find("<function="), std::string::npos);
    EXPECT_EQ(meta(model.get(), "general.file_type"), "7");
    auto ctx = new_context(model.get());
    ASSERT_NE(ctx, nullptr);
    const auto vocab = llama_model_get_vocab(model.get());
    EXPECT_EQ(greedy(ctx.get(), tokenize(vocab, "<|im_start|>user\nhi<|im_end|>", true), 2).size(), 2u);
}

TEST(MakeModel, RejectsBadArguments) {
    std::string log;
    const std::string out = " --out '" + (scratch_dir() / "bad.gguf").string() + "'";
    EXPECT_EQ(run_make_model("--arch llama" + out, log), 2) << log;
    EXPECT_EQ(run_make_model("--shape huge" + out, log), 2) << log;
    EXPECT_EQ(run_make_model("--embd 65" + out, log), 2) << log;  // not a multiple of 4 heads
    EXPECT_EQ(run_make_model("--arch qwen2 --head-dim 32" + out, log), 2) << log;
    EXPECT_EQ(run_make_model("--shape tiny", log), 2) << log;  // no --out
    EXPECT_FALSE(fs::exists(scratch_dir() / "bad.gguf"));
}

TEST(MakeModel, LeavesNoTemporaryFileBehind) {
    make_model("tiny-qwen2", "--arch qwen2 --shape tiny --seed 7");
    for (const auto& entry : fs::directory_iterator(scratch_dir())) {
        EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
    }
}

}  // namespace
