// Claude Code's first-run state written by the launcher (src/app/claude_state): only missing
// keys are added, the user's content and choices stay, the file stays valid JSON, it is written
// atomically with its permissions kept, and nothing is written the second time.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/claude_state.hpp"
#include "common/json.hpp"

using namespace anyclaude::app;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "anyclaude-local-key-1234567890abcdef";
const std::string kSuffix = "key-1234567890abcdef";  // the last 20 characters, as Claude Code stores it

boost::json::object parse_object(const std::string& text) {
    auto p = anyclaude::json::parse(text);
    EXPECT_TRUE(p.ok() && p.value.is_object()) << text;
    return p.ok() && p.value.is_object() ? p.value.get_object() : boost::json::object{};
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

fs::path scratch(const char* name) {
    fs::path d = fs::path(testing::TempDir()) / ("anyclaude-state-" + std::string(name));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

}  // namespace

TEST(LauncherState, AFreshStateGetsOnboardingAndTheKey) {
    auto m = merge_first_run_state("", kKey);
    EXPECT_EQ(m.error, "");
    auto o = parse_object(m.text);
    EXPECT_EQ(o.at("hasCompletedOnboarding"), true);
    EXPECT_EQ(anyclaude::json::to_text(o.at("customApiKeyResponses")),
              R"({"approved":[")" + kSuffix + R"("],"rejected":[]})");
    EXPECT_EQ(o.size(), 2u) << "folder trust is left to the person at the keyboard";
    EXPECT_EQ(m.written, (std::vector<std::string>{"onboarding done", "the gateway's key approved"}));
    EXPECT_EQ(parse_object(merge_first_run_state("", "short-key").text).at("customApiKeyResponses").at("approved"),
              boost::json::array{"short-key"});
}

TEST(LauncherState, OnlyMissingKeysAreAdded) {
    // What Claude Code writes on a first start that stopped at its offline error screen, plus
    // the user's own things.
    const std::string existing =
        R"({"firstStartTime":"2026-12-06T06:07:53.667Z","theme":"light","hasCompletedOnboarding":false,)"
        R"("customApiKeyResponses":{"approved":["other-key-000000000000"],"rejected":[]},"numStartups":3.5})";
    auto m = merge_first_run_state(existing, kKey);
    auto o = parse_object(m.text);
    EXPECT_EQ(o.at("hasCompletedOnboarding"), false) << "a value the user (or Claude Code) set stays";
    EXPECT_EQ(o.at("theme"), "light");
    EXPECT_EQ(o.at("firstStartTime"), "2026-12-06T06:07:53.667Z");
    EXPECT_EQ(o.at("numStartups"), 3.5);
    EXPECT_EQ(o.at("customApiKeyResponses").at("approved"), (boost::json::array{"other-key-000000000000", kSuffix.c_str()}));
    EXPECT_EQ(m.written, std::vector<std::string>{"the gateway's key approved"});

    auto again = merge_first_run_state(m.text, kKey);
    EXPECT_EQ(again.text, "") << "nothing to add the second time";
    EXPECT_TRUE(again.written.empty());
}

TEST(LauncherState, ARejectedKeyStaysRejectedAndBadFilesAreLeftAlone) {
    auto m = merge_first_run_state(
        R"({"hasCompletedOnboarding":true,"customApiKeyResponses":{"approved":[],"rejected":[")" + kSuffix + R"("]}})",
        kKey);
    EXPECT_EQ(m.text, "");
    EXPECT_NE(m.note.find("rejected"), std::string::npos);
    EXPECT_NE(merge_first_run_state("{\"hasCompletedOnboarding\": tru", kKey).error, "");
    EXPECT_NE(merge_first_run_state("[1,2]", kKey).error, "");
}

TEST(LauncherState, EnsureWritesAtomicallyKeepsPermissionsAndFollowsSymlinks) {
    auto dir = scratch("ensure");
    auto file = dir / ".claude.json";
    std::string line = ensure_first_run_state(file.string(), kKey);
    EXPECT_NE(line.find(file.string()), std::string::npos) << line;
    EXPECT_NE(line.find("onboarding done, the gateway's key approved"), std::string::npos) << line;
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "a new file is the user's alone, as Claude Code makes it";
    EXPECT_EQ(parse_object(slurp(file)).at("hasCompletedOnboarding"), true);
    EXPECT_EQ(ensure_first_run_state(file.string(), kKey), "") << "nothing written, nothing said";
    for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path(), file) << "no temporary file left";

    // A dotfile manager's symlink stays a symlink; the file it points at is updated.
    auto real = dir / "dotfiles-claude.json";
    std::ofstream(real) << R"({"theme":"dark"})";
    fs::permissions(real, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    auto link = dir / "link.json";
    fs::create_symlink(real, link);
    EXPECT_NE(ensure_first_run_state(link.string(), kKey), "");
    EXPECT_TRUE(fs::is_symlink(link));
    auto o = parse_object(slurp(real));
    EXPECT_EQ(o.at("theme"), "dark");
    EXPECT_EQ(o.at("hasCompletedOnboarding"), true);
    ASSERT_EQ(::stat(real.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);

    // Not JSON: left exactly as it was.
    auto broken = dir / "broken.json";
    std::ofstream(broken) << "{oops";
    EXPECT_NE(ensure_first_run_state(broken.string(), kKey).find("left"), std::string::npos);
    EXPECT_EQ(slurp(broken), "{oops");
    fs::remove_all(dir);
}

TEST(LauncherState, ThePathFollowsClaudeConfigDir) {
    auto dir = scratch("path");
    const char* old_home = std::getenv("HOME");
    std::string saved_home = old_home ? old_home : "";
    setenv("HOME", dir.c_str(), 1);
    unsetenv("CLAUDE_CONFIG_DIR");
    EXPECT_EQ(claude_state_path(), (dir / ".claude.json").string());
    // The older file, when it is there and the new one is not.
    fs::create_directories(dir / ".claude");
    std::ofstream(dir / ".claude" / ".config.json") << "{}";
    EXPECT_EQ(claude_state_path(), (dir / ".claude" / ".config.json").string());
    setenv("CLAUDE_CONFIG_DIR", (dir / "cfg").c_str(), 1);
    EXPECT_EQ(claude_state_path(), (dir / "cfg" / ".claude.json").string());
    unsetenv("CLAUDE_CONFIG_DIR");
    setenv("HOME", saved_home.c_str(), 1);
    fs::remove_all(dir);
}
