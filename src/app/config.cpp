// Loading gateway settings from file, environment and flags (see config.hpp).
#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <limits>
#include <fstream>
#include <sstream>

#include "app/config_backends.hpp"
#include "common/json.hpp"

namespace anyclaude::app {

namespace {

std::optional<bool> parse_bool(const std::string& v) {
    if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
    if (v == "0" || v == "false" || v == "no" || v == "off") return false;
    return std::nullopt;
}

std::optional<int64_t> parse_int(const std::string& v) {
    try {
        std::size_t pos = 0;
        long long n = std::stoll(v, &pos);
        if (pos != v.size()) return std::nullopt;
        return n;
    } catch (...) {
        return std::nullopt;
    }
}

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return (v && *v) ? v : nullptr;
}

}  // namespace

namespace {

// One setting: its flag name (also its config-file key), whether ANYCLAUDE_<NAME> sets it too,
// and how a value is checked and stored. apply() returns "" or what a valid value looks like.
struct Setting {
    const char* name;
    bool has_env;
    std::function<std::string(Config&, const std::string&)> apply;
};

Setting text(const char* name, bool has_env, std::string Config::*field) {
    return {name, has_env, [field](Config& c, const std::string& v) {
                c.*field = v;
                return std::string();
            }};
}

Setting flag(const char* name, bool has_env, bool Config::*field) {
    return {name, has_env, [field](Config& c, const std::string& v) {
                auto b = parse_bool(v);
                if (!b) return std::string("true or false");
                c.*field = *b;
                return std::string();
            }};
}

// One of `allowed`; `mark` (when given) is set to true along with the value.
Setting choice(const char* name, bool has_env, std::string Config::*field, std::vector<std::string> allowed,
               const char* what, bool Config::*mark = nullptr) {
    return {name, has_env, [field, allowed = std::move(allowed), what, mark](Config& c, const std::string& v) {
                if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) return std::string(what);
                c.*field = v;
                if (mark) c.*mark = true;
                return std::string();
            }};
}

// A whole number in [min, max] stored as value << shift; `not_a_number` (when given) is what the
// error says for text that is no number at all.
template <class T>
Setting number(const char* name, bool has_env, T Config::*field, int64_t min, int64_t max, const char* what,
               const char* not_a_number = nullptr, int shift = 0) {
    return {name, has_env, [=](Config& c, const std::string& v) {
                auto n = parse_int(v);
                if (!n) return std::string(not_a_number ? not_a_number : what);
                if (*n < min || *n > max) return std::string(what);
                c.*field = static_cast<T>(*n) << shift;
                return std::string();
            }};
}

// backend-url: one URL, or several separated by commas (a fleet, each of weight 1).
Setting backend_urls(const char* name) {
    return {name, true, [](Config& c, const std::string& v) {
                std::vector<BackendEntry> list;
                std::size_t pos = 0;
                while (pos <= v.size()) {
                    std::size_t comma = v.find(',', pos);
                    std::string url = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
                    url.erase(0, url.find_first_not_of(' '));
                    url.erase(url.find_last_not_of(' ') + 1);
                    if (url.empty() && v.find(',') != std::string::npos) return std::string("URLs separated by commas");
                    list.push_back({url, 1, {}, {}});
                    if (comma == std::string::npos) break;
                    pos = comma + 1;
                }
                c.backend_url = list.front().url;
                c.backends = list.size() > 1 ? std::move(list) : std::vector<BackendEntry>{};
                return std::string();
            }};
}

constexpr int64_t k_no_max = std::numeric_limits<int64_t>::max();
constexpr int64_t k_no_min = std::numeric_limits<int64_t>::min();

const std::vector<Setting>& settings() {
    static const std::vector<Setting> table = {
        text("host", true, &Config::host),
        number("port", true, &Config::port, 0, 65535, "a port number 0-65535"),
        // mode_explicit: else a .gguf --model selects embedded
        choice("mode", true, &Config::mode, {"lmstudio", "mlx-lm", "openai", "embedded"},
               "lmstudio, mlx-lm, openai or embedded", &Config::mode_explicit),
        backend_urls("backend-url"),
        text("backend-key", true, &Config::backend_key),
        text("model", true, &Config::model),
        text("small-model", true, &Config::small_model),
        text("api-key", true, &Config::api_key),
        choice("log-level", true, &Config::log_level, {"trace", "debug", "info", "warn", "error", "off"},
               "trace, debug, info, warn, error or off"),
        text("log-file", true, &Config::log_file),
        text("port-file", false, &Config::port_file),
        choice("mid-system", true, &Config::mid_system, {"auto", "keep", "user"}, "auto, keep or user"),
        flag("strip-billing-header", true, &Config::strip_billing_header),
        number("max-tokens-cap", true, &Config::max_tokens_cap, 0, k_no_max, "a number >= 0; 0 means no cap"),
        text("search-url", true, &Config::search_url),
        text("brave-api-key", true, &Config::brave_api_key),
        text("brave-url", true, &Config::brave_url),
        text("vision-model", true, &Config::vision_model),
        number("max-body-mb", true, &Config::max_body_bytes, 1, 4096, "1-4096", nullptr, 20),
        number("max-concurrent-requests", true, &Config::max_concurrent_requests, 1, k_no_max, "a number >= 1"),
        flag("insecure-bind", true, &Config::insecure_bind),
        number("request-timeout-ms", true, &Config::request_timeout_ms, 10, 3'600'000, "milliseconds, 10-3600000"),
        flag("log-bodies", true, &Config::log_bodies),
        number("commit-grace-ms", false, &Config::commit_grace_ms, 1, 3'600'000, "milliseconds, 1-3600000"),
        number("ping-interval-ms", false, &Config::ping_interval_ms, 1, 3'600'000, "milliseconds, 1-3600000"),
        number("cache-ram-mb", true, &Config::cache_ram_mb, 0, k_no_max, ">= 0", "a whole number"),
        number("cache-disk-mb", true, &Config::cache_disk_mb, 1, k_no_max, "megabytes, >= 1"),
        text("cache-dir", true, &Config::cache_dir),
        number("ctx-size", true, &Config::ctx_size, 0, k_no_max, ">= 0", "a whole number"),
        number("parallel", true, &Config::parallel, 1, 64, "1-64", "a whole number"),
        choice("kv-layout", true, &Config::kv_layout, {"unified", "per-sequence"}, "unified or per-sequence"),
        number("threads", true, &Config::threads, 0, k_no_max, ">= 0", "a whole number"),
        number("batch", false, &Config::batch, 16, 8192, "16-8192", "a whole number"),
        number("gpu-layers", true, &Config::gpu_layers, k_no_min, k_no_max, "a whole number"),
        flag("flash-attn", true, &Config::flash_attn),
        text("chat-template-file", true, &Config::chat_template_file),
        flag("claude-ids", true, &Config::claude_ids),
        flag("allow-small-window", true, &Config::allow_small_window),
        // Upstream modes; the embedded engine's window is its ctx-size.
        number("context-window", true, &Config::context_window, 0, k_no_max, ">= 0; 0 means ask the backend",
               "a whole number"),
        text("record", true, &Config::record),
        flag("record-redact", true, &Config::record_redact),
        flag("metrics", true, &Config::metrics),
        text("request-log", true, &Config::request_log),
        // Several backends (src/fleet/).
        text("route-key-header", true, &Config::route_key_header),
        choice("route-policy", true, &Config::route_policy, {"affinity", "round-robin", "least-loaded"},
               "affinity, round-robin or least-loaded"),
        number("route-load-slack-pct", true, &Config::route_load_slack_pct, 0, 1000, "percent, 0-1000"),
        number("health-interval-ms", true, &Config::health_interval_ms, 50, 3'600'000, "milliseconds, 50-3600000"),
    };
    return table;
}

// ANYCLAUDE_ and the name in capitals with underscores; "" when no variable sets it.
std::string env_var(const Setting& s) {
    if (!s.has_env) return {};
    std::string out = "ANYCLAUDE_";
    for (const char* p = s.name; *p; ++p)
        out += *p == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
    return out;
}

}  // namespace

const std::vector<std::string>& setting_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& s : settings()) out.emplace_back(s.name);
        return out;
    }();
    return names;
}

std::string env_name(const std::string& setting) {
    for (const auto& s : settings())
        if (s.name == setting) return env_var(s);
    return {};
}

std::string apply_setting(Config& c, const std::string& name, const std::string& value) {
    for (const auto& s : settings()) {
        if (s.name != name) continue;
        if (auto what = s.apply(c, value); !what.empty())
            return "invalid value for " + name + ": '" + value + "' (" + what + ")";
        return {};
    }
    return "unknown setting '" + name + "'";
}

std::string load_file_and_env(Config& c, const std::string& explicit_file) {
    std::string path = explicit_file;
    bool required = !path.empty();
    if (path.empty()) {
        if (const char* p = env("ANYCLAUDE_CONFIG")) {
            path = p;
            required = true;
        } else if (const char* home = env("HOME")) {
            const char* xdg = env("XDG_CONFIG_HOME");
            path = (xdg ? std::string(xdg) : std::string(home) + "/.config") + "/anyclaude/config.json";
        }
    }
    if (!path.empty()) {
        std::ifstream f(path);
        if (!f) {
            if (required) return "cannot read config file " + path;
        } else {
            std::stringstream ss;
            ss << f.rdbuf();
            auto parsed = json::parse(ss.str());
            if (!parsed.ok() || !parsed.value.is_object())
                return "config file " + path + " is not a JSON object" + (parsed.ok() ? "" : ": " + parsed.error);
            for (const auto& kv : parsed.value.get_object()) {
                std::string name(kv.key());
                std::string value;
                const auto& v = kv.value();
                if (name == "backends") {
                    if (auto err = read_backend_list(c, v); !err.empty()) return "config file " + path + ": " + err;
                    continue;
                }
                if (v.is_string()) value = std::string(v.get_string());
                else if (v.is_bool()) value = v.get_bool() ? "true" : "false";
                else if (v.is_int64()) value = std::to_string(v.get_int64());
                else if (v.is_uint64()) value = std::to_string(v.get_uint64());
                else return "config file " + path + ": '" + name + "' must be a string, number or boolean";
                if (auto err = apply_setting(c, name, value); !err.empty()) return "config file " + path + ": " + err;
            }
            c.config_file = path;
        }
    }
    for (const auto& s : settings()) {
        const std::string var = env_var(s);
        if (var.empty()) continue;
        if (const char* v = env(var.c_str()))
            if (auto err = apply_setting(c, s.name, v); !err.empty()) return var + ": " + err;
    }
    return {};
}

std::vector<std::pair<std::string, std::string>> merge_repeated(
    const std::vector<std::pair<std::string, std::string>>& flags) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& flag : flags) {
        auto same = std::find_if(out.begin(), out.end(), [&](const auto& f) { return f.first == flag.first; });
        if (flag.first == "backend-url" && same != out.end())
            same->second += "," + flag.second;
        else
            out.push_back(flag);
    }
    return out;
}

bool wants_embedded(const Config& c) {
    if (c.mode_explicit) return c.mode == "embedded";
    return c.model.size() > 5 && c.model.compare(c.model.size() - 5, 5, ".gguf") == 0;
}

std::string cache_root() {
    // The same rule as the build's (CMakeLists.txt, scripts/fetch_llama.sh), which keep llama.cpp here.
    if (const char* v = env("ANYCLAUDE_CACHE")) return v;
    if (const char* x = env("XDG_CACHE_HOME")) return std::string(x) + "/anyclaude";
    const char* home = env("HOME");
    return std::string(home ? home : "/tmp") + "/.cache/anyclaude";
}

std::string effective_cache_dir(const Config& c) {
    if (c.cache_dir == "off") return {};
    if (!c.cache_dir.empty()) return c.cache_dir;
    return cache_root() + "/kv";
}

std::string effective_backend_url(const Config& c) {
    if (!c.backend_url.empty()) return c.backend_url;
    if (c.mode == "lmstudio") {
        const char* v = env("LMSTUDIO_URL");
        return v ? v : "http://localhost:1234/v1";
    }
    if (c.mode == "mlx-lm") {
        const char* v = env("MLX_LM_URL");
        return v ? v : "http://localhost:8081/v1";
    }
    return "http://localhost:8080/v1";
}

}  // namespace anyclaude::app
