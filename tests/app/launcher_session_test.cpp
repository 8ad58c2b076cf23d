// The launcher's small decisions around a session (src/app/launcher): which Claude Code
// invocations reach a model (only those get the backend check, the window and the first-run
// state), `-p` versus the interactive screen, the lines printed when the backend cannot serve,
// and the fix named for a small window in each mode.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/launcher.hpp"

using namespace anyclaude::app;

TEST(LauncherSession, OnlyInvocationsThatReachAModelAreChecked) {
    using Args = std::vector<std::string>;
    EXPECT_TRUE(talks_to_model(Args{}));
    EXPECT_TRUE(talks_to_model(Args{"-p", "say hi"}));
    EXPECT_TRUE(talks_to_model(Args{"fix the failing test"}));
    EXPECT_TRUE(talks_to_model(Args{"--continue"}));
    EXPECT_TRUE(talks_to_model(Args{"-p", "mcp"})) << "a prompt that happens to be a subcommand's name";
    EXPECT_FALSE(talks_to_model(Args{"mcp", "list"}));
    EXPECT_FALSE(talks_to_model(Args{"self-hosted-runner", "--x"}));
    EXPECT_FALSE(talks_to_model(Args{"--version"}));
    EXPECT_FALSE(talks_to_model(Args{"-p", "--help"}));

    EXPECT_TRUE(print_mode(Args{"-p", "hi"}));
    EXPECT_TRUE(print_mode(Args{"--continue", "--print", "hi"}));
    EXPECT_FALSE(print_mode(Args{"hi"}));
    EXPECT_FALSE(print_mode(Args{}));
}

TEST(LauncherSession, ABackendThatCannotServeIsExplainedInTwoLines) {
    BackendReport fine{true, "qwen3", 65536, "llama-server /props", "", ""};
    EXPECT_TRUE(backend_problem(fine, "http://localhost:8080/v1").empty());

    BackendReport down{false, "", std::nullopt, "", "nothing answers at http://localhost:1234/v1",
                       "start LM Studio and load a model, or pass --backend-url"};
    EXPECT_EQ(backend_problem(down, "http://localhost:1234/v1"),
              (std::vector<std::string>{
                  "anyclaude: nothing answers at http://localhost:1234/v1; Claude Code not started",
                  "anyclaude: fix: start LM Studio and load a model, or pass --backend-url"}));

    // The gateway said nothing of its own: the launcher still names the backend.
    BackendReport empty{true, "", std::nullopt, "", "", ""};
    EXPECT_EQ(backend_problem(empty, "http://localhost:1234/v1"),
              std::vector<std::string>{"anyclaude: the backend at http://localhost:1234/v1 serves no model; Claude Code not started"});
    BackendReport silent{false, "", std::nullopt, "", "", ""};
    EXPECT_EQ(backend_problem(silent, "http://h:1/v1").front(),
              "anyclaude: the backend at http://h:1/v1 does not answer; Claude Code not started");
}

TEST(LauncherSession, EachModeNamesHowToEnlargeTheWindow) {
    EXPECT_NE(enlarge_hint("embedded").find("--ctx-size 262144"), std::string::npos);  // 4 per-sequence windows
    EXPECT_NE(enlarge_hint("lmstudio").find("--context-length 65536"), std::string::npos);
    EXPECT_NE(enlarge_hint("openai").find("llama-server -c 65536"), std::string::npos);
    EXPECT_NE(enlarge_hint("mlx-lm"), "");
    EXPECT_EQ(enlarge_hint("bogus"), "give the model a larger context");
}
