// The launcher's decisions about Claude Code's environment (src/app/claude_env): the backend
// report parsed from the JSON text of GET /health/backend, the window sizes against the research
// table (../shared/research/claude-code-compaction.md), which variables are set, that the user's
// own values win, the Claude-id route, the notice, the warning and the refusal.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "app/claude_env.hpp"

using namespace anyclaude::app;

namespace {

using Vars = std::map<std::string, std::string>;

Vars as_map(const ClaudeEnvPlan& p) {
    Vars m;
    for (const auto& [k, v] : p.set) m[k] = v;
    return m;
}

ClaudeEnvInput input(std::optional<int64_t> window, const Vars* user = nullptr) {
    ClaudeEnvInput in;
    in.model = "qwen3-coder-30b";
    in.small_model = "qwen3-4b";
    in.window = window;
    in.window_source = "llama-server /props";
    in.enlarge_hint = "llama-server -c 65536";
    in.user_env = [user](const char* name) -> const char* {
        if (!user) return nullptr;
        auto it = user->find(name);
        return it == user->end() ? nullptr : it->second.c_str();
    };
    return in;
}

// Claude Code's own threshold for a declared window W and output R [V].
int64_t claude_threshold(int64_t declared, int64_t output) { return declared - std::min<int64_t>(output, 20000) - 13000; }

}  // namespace

TEST(LauncherEnv, ParsesTheBackendReport) {
    std::string err;
    auto r = parse_backend_report(
        R"({"reachable":true,"model":"qwen3","context_window":65536,"window_source":"llama-server /props","problem":"","fix":""})",
        &err);
    ASSERT_TRUE(r) << err;
    EXPECT_TRUE(r->reachable);
    EXPECT_EQ(r->model, "qwen3");
    EXPECT_EQ(r->context_window, 65536);
    EXPECT_EQ(r->window_source, "llama-server /props");

    auto down = parse_backend_report(
        R"({"reachable":false,"model":"","context_window":null,"window_source":"","problem":"LM Studio does not answer at http://localhost:1234/v1","fix":"start LM Studio and load a model"})",
        &err);
    ASSERT_TRUE(down) << err;
    EXPECT_FALSE(down->reachable);
    EXPECT_FALSE(down->context_window);
    EXPECT_EQ(down->problem, "LM Studio does not answer at http://localhost:1234/v1");
    EXPECT_EQ(down->fix, "start LM Studio and load a model");

    EXPECT_FALSE(parse_backend_report("not json", &err));
    EXPECT_FALSE(parse_backend_report("[]", &err));
    EXPECT_FALSE(parse_backend_report(R"({"model":"m"})", &err)) << "reachable is required";
    auto zero = parse_backend_report(R"({"reachable":true,"model":"m","context_window":0})", &err);
    ASSERT_TRUE(zero);
    EXPECT_FALSE(zero->context_window) << "a window of 0 says nothing";
}

// The research's table: C=32768 R=4096, 65536/8192 (T=44344 [V]), 131072/16384 (T=101688); at 32k
// the declared window is C + 13000 - 4096, so T = C - R - 4096 = 24576 instead of 15672.
TEST(LauncherEnv, WindowSizesFollowTheResearchTable) {
    struct Row {
        int64_t window, output, declared, threshold;
    };
    const Row rows[] = {
        {16384, 4096, 25288, 8192},
        {32768, 4096, 41672, 24576},
        {65536, 8192, 65536, 44344},
        {131072, 16384, 131072, 101688},
        {262144, 20000, 262144, 229144},
    };
    for (const auto& r : rows) {
        auto s = window_sizes(r.window);
        EXPECT_EQ(s.output, r.output) << r.window;
        EXPECT_EQ(s.declared, r.declared) << r.window;
        EXPECT_EQ(s.threshold, r.threshold) << r.window;
        EXPECT_EQ(s.threshold, claude_threshold(s.declared, s.output)) << r.window;
        // The answer and Claude Code's ~1.7k-token compaction instruction fit above the threshold.
        EXPECT_GE(r.window - s.threshold - s.output, 4096) << r.window;
    }
    int64_t last = 0;
    for (int64_t w = kMinWindow; w <= 300000; w += 512) {
        auto t = window_sizes(w).threshold;
        EXPECT_GE(t, last) << "a bigger window never compacts earlier: " << w;
        last = t;
    }
}

TEST(LauncherEnv, LocalIdsAndTheWindowForClaudeCode) {
    auto p = plan_claude_env(input(65536));
    auto v = as_map(p);
    EXPECT_EQ(v["ANTHROPIC_MODEL"], "qwen3-coder-30b");
    EXPECT_EQ(v["ANTHROPIC_DEFAULT_OPUS_MODEL"], "qwen3-coder-30b");
    EXPECT_EQ(v["ANTHROPIC_DEFAULT_SONNET_MODEL"], "qwen3-coder-30b");
    EXPECT_EQ(v["ANTHROPIC_DEFAULT_HAIKU_MODEL"], "qwen3-4b");
    EXPECT_EQ(v["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "65536");
    EXPECT_EQ(v["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "8192");
    EXPECT_EQ(v.size(), 6u);
    for (const auto& [k, _] : v) EXPECT_EQ(k.find("DISABLE"), std::string::npos) << "never switch compaction off: " << k;
    EXPECT_EQ(p.notice,
              "anyclaude: Claude Code gets qwen3-coder-30b's 65536-token window (llama-server /props): answers up to "
              "8192 tokens, compaction from ~44k tokens");
    EXPECT_EQ(p.warning, "");
    EXPECT_EQ(p.error, "");

    auto in = input(32768);
    in.small_model = "";
    auto v32 = as_map(plan_claude_env(in));
    EXPECT_EQ(v32["ANTHROPIC_DEFAULT_HAIKU_MODEL"], "qwen3-coder-30b") << "no small model: the main one";
    EXPECT_EQ(v32["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "41672");
    EXPECT_EQ(v32["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "4096");
}

TEST(LauncherEnv, TheUsersOwnValuesWin) {
    const Vars user = {{"ANTHROPIC_MODEL", "my-model"}, {"CLAUDE_CODE_MAX_CONTEXT_TOKENS", "50000"},
                       {"ANTHROPIC_DEFAULT_HAIKU_MODEL", ""}};
    auto p = plan_claude_env(input(65536, &user));
    auto v = as_map(p);
    EXPECT_EQ(v.count("ANTHROPIC_MODEL"), 0u);
    EXPECT_EQ(v.count("CLAUDE_CODE_MAX_CONTEXT_TOKENS"), 0u);
    EXPECT_EQ(v.count("ANTHROPIC_DEFAULT_HAIKU_MODEL"), 0u) << "set, even to nothing, is the user's choice";
    EXPECT_EQ(v["ANTHROPIC_DEFAULT_SONNET_MODEL"], "qwen3-coder-30b");
    EXPECT_EQ(v["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "8192");
    EXPECT_EQ(p.kept, (std::vector<std::string>{"ANTHROPIC_MODEL=my-model", "ANTHROPIC_DEFAULT_HAIKU_MODEL=",
                                                "CLAUDE_CODE_MAX_CONTEXT_TOKENS=50000"}));
    EXPECT_NE(p.notice.find("; yours kept: ANTHROPIC_MODEL=my-model"), std::string::npos) << p.notice;
}

// Claude ids ignore CLAUDE_CODE_MAX_CONTEXT_TOKENS [V]; CLAUDE_CODE_AUTO_COMPACT_WINDOW has a 100k
// floor [V], so below it the threshold comes from CLAUDE_AUTOCOMPACT_PCT_OVERRIDE:
// T = floor((100000 - R) * p / 100).
TEST(LauncherEnv, ClaudeIdsUseTheAutoCompactWindow) {
    auto in = input(32768);
    in.claude_ids = true;
    auto p = plan_claude_env(in);
    auto v = as_map(p);
    EXPECT_EQ(v.count("ANTHROPIC_MODEL"), 0u);
    EXPECT_EQ(v.count("ANTHROPIC_DEFAULT_SONNET_MODEL"), 0u);
    EXPECT_EQ(v.count("CLAUDE_CODE_MAX_CONTEXT_TOKENS"), 0u);
    EXPECT_EQ(v["CLAUDE_CODE_AUTO_COMPACT_WINDOW"], "100000");
    EXPECT_EQ(v["CLAUDE_AUTOCOMPACT_PCT_OVERRIDE"], "25");  // (100000 - 4096) * 25% = 23976 <= 24576
    EXPECT_EQ(v["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "4096");
    EXPECT_NE(p.notice.find("compaction from ~24k tokens (Claude model ids kept)"), std::string::npos) << p.notice;

    in.window = 131072;
    auto big = as_map(plan_claude_env(in));
    EXPECT_EQ(big["CLAUDE_CODE_AUTO_COMPACT_WINDOW"], "131072");
    EXPECT_EQ(big.count("CLAUDE_AUTOCOMPACT_PCT_OVERRIDE"), 0u) << "at 100k and more the window says it alone";
}

TEST(LauncherEnv, TightWindowsWarnAndTooSmallOnesAreRefused) {
    auto tight = plan_claude_env(input(32768));
    EXPECT_EQ(tight.error, "");
    EXPECT_NE(tight.warning.find("33k tokens is tight"), std::string::npos) << tight.warning;
    EXPECT_NE(tight.warning.find("Autocompact is thrashing"), std::string::npos) << tight.warning;
    EXPECT_NE(tight.warning.find("llama-server -c 65536"), std::string::npos) << "names the fix: " << tight.warning;
    EXPECT_EQ(plan_claude_env(input(kTightWindow)).warning, "");
    EXPECT_NE(plan_claude_env(input(kTightWindow - 1)).warning, "");

    auto small = plan_claude_env(input(8192));
    EXPECT_NE(small.error.find("8192 tokens"), std::string::npos) << small.error;
    EXPECT_NE(small.error.find("first exchange"), std::string::npos) << small.error;
    EXPECT_NE(small.error.find("llama-server -c 65536"), std::string::npos) << small.error;
    EXPECT_EQ(plan_claude_env(input(kMinWindow)).error, "");
    EXPECT_NE(plan_claude_env(input(kMinWindow - 1)).error, "");

    auto in = input(8192);
    in.allow_small_window = true;
    auto allowed = plan_claude_env(in);
    EXPECT_EQ(allowed.error, "");
    EXPECT_EQ(as_map(allowed)["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], std::to_string(window_sizes(8192).declared));
}

TEST(LauncherEnv, AnUnknownWindowSetsOnlyTheModel) {
    auto in = input(std::nullopt);
    in.window_source = "nothing tells";
    auto p = plan_claude_env(in);
    auto v = as_map(p);
    EXPECT_EQ(v["ANTHROPIC_MODEL"], "qwen3-coder-30b");
    EXPECT_EQ(v.count("CLAUDE_CODE_MAX_CONTEXT_TOKENS"), 0u);
    EXPECT_EQ(v.count("CLAUDE_CODE_MAX_OUTPUT_TOKENS"), 0u);
    EXPECT_NE(p.notice.find("does not say qwen3-coder-30b's context window (nothing tells)"), std::string::npos)
        << p.notice;
    EXPECT_EQ(p.error, "");
}
