// cache_root (src/app/config.hpp): the one rule for anyclaude's cache folder that the disk tier,
// the launcher's log and the build (CMakeLists.txt, scripts/fetch_llama.sh) follow.
#include <gtest/gtest.h>

#include <cstdlib>

#include "app/config.hpp"

namespace anyclaude::app {
namespace {

struct Env {
    const char* anyclaude_cache;
    const char* xdg;
    const char* home;
    const char* root;
};

const Env kCases[] = {
    {"/c/any", "/x", "/h", "/c/any"},              // ANYCLAUDE_CACHE first, as the build does
    {nullptr, "/x", "/h", "/x/anyclaude"},         // then XDG_CACHE_HOME
    {nullptr, nullptr, "/h", "/h/.cache/anyclaude"},  // then HOME
    {nullptr, nullptr, nullptr, "/tmp/.cache/anyclaude"},
};

void set(const char* name, const char* value) {
    if (value)
        ::setenv(name, value, 1);
    else
        ::unsetenv(name);
}

TEST(CacheRoot, FollowsTheBuildsRuleAndTheDiskTierLivesInIt) {
    for (const auto& c : kCases) {
        set("ANYCLAUDE_CACHE", c.anyclaude_cache);
        set("XDG_CACHE_HOME", c.xdg);
        set("HOME", c.home);
        EXPECT_EQ(cache_root(), c.root);
        EXPECT_EQ(effective_cache_dir(Config{}), std::string(c.root) + "/kv");
    }
    Config off;
    off.cache_dir = "off";
    EXPECT_EQ(effective_cache_dir(off), "");
}

}  // namespace
}  // namespace anyclaude::app
