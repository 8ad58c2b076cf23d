// Settings from flags, environment and the JSON config file, and the bind policy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

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

// Every setting, through the one table behind flags, environment and the config file: a good
// value lands in its field, bad ones are refused with a message naming the setting, the value
// and what is expected, and leave the field as it was.
struct SettingCase {
    const char* name;
    const char* good;
    std::function<bool(const Config&)> landed;
    std::vector<const char*> bad;
};

std::vector<SettingCase> setting_cases() {
    return {
        {"host", "0.0.0.0", [](const Config& c) { return c.host == "0.0.0.0"; }, {}},
        {"port", "9001", [](const Config& c) { return c.port == 9001; }, {"70000", "-1", "x", "80x"}},
        {"mode", "embedded", [](const Config& c) { return c.mode == "embedded" && c.mode_explicit; }, {"vllm", ""}},
        {"backend-url", "http://h:1/v1", [](const Config& c) { return c.backend_url == "http://h:1/v1"; }, {"http://h:1/v1,,x"}},
        {"backend-key", "bk", [](const Config& c) { return c.backend_key == "bk"; }, {}},
        {"model", "m.gguf", [](const Config& c) { return c.model == "m.gguf"; }, {}},
        {"small-model", "s", [](const Config& c) { return c.small_model == "s"; }, {}},
        {"api-key", "k", [](const Config& c) { return c.api_key == "k"; }, {}},
        {"log-level", "debug", [](const Config& c) { return c.log_level == "debug"; }, {"loud", "INFO"}},
        {"log-file", "/tmp/x.log", [](const Config& c) { return c.log_file == "/tmp/x.log"; }, {}},
        {"port-file", "/tmp/p", [](const Config& c) { return c.port_file == "/tmp/p"; }, {}},
        {"mid-system", "user", [](const Config& c) { return c.mid_system == "user"; }, {"drop"}},
        {"strip-billing-header", "off", [](const Config& c) { return !c.strip_billing_header; }, {"maybe", "2"}},
        {"max-tokens-cap", "0", [](const Config& c) { return c.max_tokens_cap == 0; }, {"-1", "1.5"}},
        {"search-url", "http://127.0.0.1:8888", [](const Config& c) { return c.search_url == "http://127.0.0.1:8888"; }, {}},
        {"brave-api-key", "BSA-k", [](const Config& c) { return c.brave_api_key == "BSA-k"; }, {}},
        {"brave-url", "http://127.0.0.1:9/s", [](const Config& c) { return c.brave_url == "http://127.0.0.1:9/s"; }, {}},
        {"vision-model", "qwen2.5-vl", [](const Config& c) { return c.vision_model == "qwen2.5-vl"; }, {}},
        {"max-body-mb", "2", [](const Config& c) { return c.max_body_bytes == (2u << 20); }, {"0", "4097", "big"}},
        {"max-concurrent-requests", "3", [](const Config& c) { return c.max_concurrent_requests == 3; }, {"0"}},
        {"insecure-bind", "yes", [](const Config& c) { return c.insecure_bind; }, {"sure"}},
        {"request-timeout-ms", "10", [](const Config& c) { return c.request_timeout_ms == 10; }, {"9", "3600001"}},
        {"log-bodies", "1", [](const Config& c) { return c.log_bodies; }, {"all"}},
        {"commit-grace-ms", "5", [](const Config& c) { return c.commit_grace_ms == 5; }, {"0"}},
        {"ping-interval-ms", "3600000", [](const Config& c) { return c.ping_interval_ms == 3600000; }, {"0", "3600001"}},
        {"cache-ram-mb", "0", [](const Config& c) { return c.cache_ram_mb == 0; }, {"-1", "lots"}},
        {"cache-disk-mb", "1", [](const Config& c) { return c.cache_disk_mb == 1; }, {"0"}},
        {"cache-dir", "off", [](const Config& c) { return c.cache_dir == "off"; }, {}},
        {"ctx-size", "8192", [](const Config& c) { return c.ctx_size == 8192; }, {"-5"}},
        {"parallel", "64", [](const Config& c) { return c.parallel == 64; }, {"0", "65"}},
        {"kv-layout", "unified", [](const Config& c) { return c.kv_layout == "unified"; }, {"split"}},
        {"threads", "3", [](const Config& c) { return c.threads == 3; }, {"-1"}},
        {"batch", "16", [](const Config& c) { return c.batch == 16; }, {"15", "8193"}},
        {"gpu-layers", "-1", [](const Config& c) { return c.gpu_layers == -1; }, {"all"}},
        {"flash-attn", "true", [](const Config& c) { return c.flash_attn; }, {"auto"}},
        {"chat-template-file", "t.jinja", [](const Config& c) { return c.chat_template_file == "t.jinja"; }, {}},
        {"claude-ids", "true", [](const Config& c) { return c.claude_ids; }, {"claude"}},
        {"allow-small-window", "yes", [](const Config& c) { return c.allow_small_window; }, {"please"}},
        {"context-window", "65536", [](const Config& c) { return c.context_window == 65536; }, {"-1", "64k", ""}},
        {"record", "/tmp/rec", [](const Config& c) { return c.record == "/tmp/rec"; }, {}},
        {"record-redact", "true", [](const Config& c) { return c.record_redact; }, {"some"}},
        {"metrics", "false", [](const Config& c) { return !c.metrics; }, {"some"}},
        {"request-log", "/tmp/r.jsonl", [](const Config& c) { return c.request_log == "/tmp/r.jsonl"; }, {}},
        {"route-key-header", "x-conv", [](const Config& c) { return c.route_key_header == "x-conv"; }, {}},
        {"route-policy", "round-robin", [](const Config& c) { return c.route_policy == "round-robin"; }, {"random"}},
        {"route-load-slack-pct", "50", [](const Config& c) { return c.route_load_slack_pct == 50; }, {"-1", "1001"}},
        {"health-interval-ms", "100", [](const Config& c) { return c.health_interval_ms == 100; }, {"49", "soon"}},
    };
}

TEST(Config, EverySettingAppliesGoodValuesAndRefusesBadOnes) {
    auto cases = setting_cases();
    std::vector<std::string> covered;
    for (const auto& k : cases) covered.push_back(k.name);
    std::vector<std::string> names = setting_names();
    std::sort(covered.begin(), covered.end());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(covered, names) << "one case per setting";
    for (const auto& k : cases) {
        Config c;
        EXPECT_FALSE(k.landed(c)) << k.name << ": the sample value must differ from the default";
        EXPECT_EQ(apply_setting(c, k.name, k.good), "") << k.name;
        EXPECT_TRUE(k.landed(c)) << k.name << " = " << k.good;
        for (const char* bad : k.bad) {
            Config d;
            EXPECT_EQ(apply_setting(d, k.name, k.good), "");
            std::string err = apply_setting(d, k.name, bad);
            EXPECT_EQ(err.rfind(std::string("invalid value for ") + k.name + ": '" + bad + "' (", 0), 0u) << err;
            EXPECT_TRUE(k.landed(d)) << k.name << ": refusing '" << bad << "' changed the setting";
        }
    }
    Config c;
    EXPECT_EQ(apply_setting(c, "nope", "1"), "unknown setting 'nope'");
    EXPECT_EQ(apply_setting(c, "port", "70000"), "invalid value for port: '70000' (a port number 0-65535)");
    EXPECT_EQ(apply_setting(c, "parallel", "x"), "invalid value for parallel: 'x' (a whole number)");
    EXPECT_EQ(apply_setting(c, "parallel", "65"), "invalid value for parallel: '65' (1-64)");
}

TEST(Config, EnvironmentVariablesSetTheirSettings) {
    EXPECT_EQ(env_name("cache-disk-mb"), "ANYCLAUDE_CACHE_DISK_MB");
    EXPECT_EQ(env_name("max-concurrent-requests"), "ANYCLAUDE_MAX_CONCURRENT_REQUESTS");
    EXPECT_EQ(env_name("batch"), "");  // flag and config file only
    EXPECT_EQ(env_name("port-file"), "");
    EXPECT_EQ(env_name("nope"), "");
    std::string empty = testing::TempDir() + "/anyclaude-empty-config.json";
    std::ofstream(empty) << "{}";
    std::size_t with_env = 0;
    for (const auto& k : setting_cases()) {
        const std::string var = env_name(k.name);
        if (var.empty()) continue;
        ++with_env;
        setenv(var.c_str(), k.good, 1);
        Config c;
        EXPECT_EQ(load_file_and_env(c, empty), "") << var;
        EXPECT_TRUE(k.landed(c)) << var << "=" << k.good;
        if (!k.bad.empty()) {
            setenv(var.c_str(), k.bad.front(), 1);
            Config d;
            std::string err = load_file_and_env(d, empty);
            EXPECT_EQ(err.rfind(var + ": invalid value for " + k.name, 0), 0u) << err;
        }
        unsetenv(var.c_str());
    }
    EXPECT_EQ(with_env, 43u);
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

// Several backends: backend-url given several times (joined by merge_repeated), as a comma list,
// or the config file's "backends" list with weights, models and keys; a later layer replaces.
TEST(Config, SeveralBackends) {
    Config c;
    for (auto& [name, value] : merge_repeated({{"model", "m"}, {"backend-url", "http://a:1/v1"},
                                               {"backend-url", "http://b:1/v1"}, {"port", "1"}}))
        EXPECT_EQ(apply_setting(c, name, value), "") << name;
    ASSERT_EQ(c.backends.size(), 2u);
    EXPECT_EQ(c.backend_url, "http://a:1/v1");
    EXPECT_EQ(c.backends[1].url, "http://b:1/v1");
    EXPECT_EQ(c.backends[1].weight, 1);
    EXPECT_EQ(apply_setting(c, "backend-url", "http://only:1/v1"), "");
    EXPECT_TRUE(c.backends.empty()) << "one URL is no fleet";

    std::string path = testing::TempDir() + "/anyclaude-fleet.json";
    std::ofstream(path) << R"({"backends":[{"url":"http://a:1/v1","weight":2,"models":["big"],"key":"k1"},)"
                           R"({"url":"http://b:1/v1"}]})";
    Config f;
    EXPECT_EQ(load_file_and_env(f, path), "");
    ASSERT_EQ(f.backends.size(), 2u);
    EXPECT_EQ(f.backends[0].weight, 2);
    EXPECT_EQ(f.backends[0].models, std::vector<std::string>{"big"});
    EXPECT_EQ(f.backends[0].key, "k1");
    EXPECT_EQ(f.backend_url, "http://a:1/v1");

    struct Bad {
        const char* file;
        const char* says;
    };
    for (const Bad& b : {Bad{R"({"backends":"http://a"})", "'backends' must be a list"},
                         Bad{R"({"backends":[{"weight":2}]})", "backends[0]: 'url' is missing"},
                         Bad{R"({"backends":[{"url":"http://a:1/v1","weight":0}]})", "backends[0]: 'weight' must be a whole number 1-100"},
                         Bad{R"({"backends":[{"url":"http://a:1/v1"},{"url":"http://b:1/v1","port":1}]})", "backends[1]: unknown field 'port'"},
                         Bad{R"({"backends":[{"url":"http://a:1/v1","models":"big"}]})", "'models' must be a list of model names"}}) {
        std::ofstream(path) << b.file;
        Config d;
        std::string err = load_file_and_env(d, path);
        EXPECT_NE(err.find(b.says), std::string::npos) << err;
    }
}

// --help's settings part comes from the settings table: every setting with its variable, and
// the defaults of a default Config.
TEST(Config, HelpListsEverySettingWithItsVariableAndDefault) {
    const std::string help = "\n" + settings_help();
    for (const auto& name : setting_names()) {
        const auto at = help.find("  --" + name + " ");
        ASSERT_NE(at, std::string::npos) << name;
        const std::string line = help.substr(at, help.find('\n', at) - at);
        if (const std::string var = env_name(name); !var.empty())
            EXPECT_NE(line.find(var), std::string::npos) << line;
    }
    EXPECT_NE(help.find("ANYCLAUDE_PORT: port to listen on; 0 picks a free one (default\n"), std::string::npos);
    EXPECT_NE(help.find("(default 32768)"), std::string::npos);  // max-tokens-cap
    EXPECT_NE(help.find("ANYCLAUDE_MAX_BODY_MB: largest request body (default 32)"), std::string::npos);
    for (const auto& line : std::vector<std::string>{"gateway:", "backend:", "claude launcher:"})
        EXPECT_NE(help.find("\n" + line + "\n"), std::string::npos) << line;
}
