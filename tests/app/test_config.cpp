// Settings from flags, environment and the JSON config file, and the bind policy.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "app/config.hpp"
#include "app/server_runner.hpp"

using namespace anyclaude::app;

TEST(Config, AppliesAndValidatesSettings) {
    Config c;
    EXPECT_EQ(apply_setting(c, "port", "9000"), "");
    EXPECT_EQ(c.port, 9000);
    EXPECT_NE(apply_setting(c, "port", "70000"), "");
    EXPECT_NE(apply_setting(c, "mode", "bogus"), "");
    EXPECT_EQ(apply_setting(c, "mode", "mlx-lm"), "");
    EXPECT_NE(apply_setting(c, "nope", "1"), "");
    EXPECT_EQ(apply_setting(c, "strip-billing-header", "false"), "");
    EXPECT_FALSE(c.strip_billing_header);
}

TEST(Config, ModeUrlsFollowTheirVariables) {
    Config c;
    c.mode = "lmstudio";
    unsetenv("LMSTUDIO_URL");
    EXPECT_EQ(effective_backend_url(c), "http://localhost:1234/v1");
    setenv("LMSTUDIO_URL", "http://10.0.0.5:1234/v1", 1);
    EXPECT_EQ(effective_backend_url(c), "http://10.0.0.5:1234/v1");
    unsetenv("LMSTUDIO_URL");
    c.mode = "mlx-lm";
    setenv("MLX_LM_URL", "http://127.0.0.1:9999/v1", 1);
    EXPECT_EQ(effective_backend_url(c), "http://127.0.0.1:9999/v1");
    unsetenv("MLX_LM_URL");
    EXPECT_EQ(effective_backend_url(c), "http://localhost:8081/v1");
    c.backend_url = "http://x:1/v1";
    EXPECT_EQ(effective_backend_url(c), "http://x:1/v1");
}

TEST(Config, FileThenEnvironmentThenFlags) {
    std::string path = testing::TempDir() + "/anyclaude-config.json";
    std::ofstream(path) << R"({"mode":"openai","backend-url":"http://file:1/v1","model":"from-file","port":9100})";
    setenv("ANYCLAUDE_MODEL", "from-env", 1);
    Config c;
    EXPECT_EQ(load_file_and_env(c, path), "");
    unsetenv("ANYCLAUDE_MODEL");
    EXPECT_EQ(c.mode, "openai");
    EXPECT_EQ(c.backend_url, "http://file:1/v1");
    EXPECT_EQ(c.model, "from-env");
    EXPECT_EQ(c.port, 9100);
    EXPECT_EQ(c.config_file, path);
    std::ofstream(path) << R"({"port":"x"})";
    Config d;
    EXPECT_NE(load_file_and_env(d, path), "");
    EXPECT_NE(load_file_and_env(d, "/nonexistent/anyclaude.json"), "");
}

TEST(Config, NonLoopbackBindNeedsAKey) {
    Config c;
    c.host = "0.0.0.0";
    EXPECT_NE(check_bind_policy(c), "");
    c.api_key = "k";
    EXPECT_EQ(check_bind_policy(c), "");
    c.api_key.clear();
    c.insecure_bind = true;
    EXPECT_EQ(check_bind_policy(c), "");
    Config local;
    EXPECT_EQ(check_bind_policy(local), "");
}
