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
// how a value is checked and stored (apply() returns "" or what a valid value looks like), and
// its line in --help: group, value placeholder, text, and how its default is shown.
struct Setting {
    const char* name;
    bool has_env;
    std::function<std::string(Config&, const std::string&)> apply;
    std::function<std::string(const Config&)> shown;  // the value as --help shows it ("" = none)
    const char* group = "";
    const char* arg = "";
    const char* help = "";

    Setting doc(const char* g, const char* a, const char* h) && {
        group = g;
        arg = a;
        help = h;
        return std::move(*this);
    }
};

Setting text(const char* name, bool has_env, std::string Config::*field) {
    return {name, has_env,
            [field](Config& c, const std::string& v) {
                c.*field = v;
                return std::string();
            },
            [field](const Config& c) { return c.*field; }};
}

Setting flag(const char* name, bool has_env, bool Config::*field) {
    return {name, has_env,
            [field](Config& c, const std::string& v) {
                auto b = parse_bool(v);
                if (!b) return std::string("true or false");
                c.*field = *b;
                return std::string();
            },
            [field](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

// One of `allowed`; `mark` (when given) is set to true along with the value.
Setting choice(const char* name, bool has_env, std::string Config::*field, std::vector<std::string> allowed,
               const char* what, bool Config::*mark = nullptr) {
    return {name, has_env,
            [field, allowed = std::move(allowed), what, mark](Config& c, const std::string& v) {
                if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) return std::string(what);
                c.*field = v;
                if (mark) c.*mark = true;
                return std::string();
            },
            [field](const Config& c) { return c.*field; }};
}

// A whole number in [min, max] stored as value << shift; `not_a_number` (when given) is what the
// error says for text that is no number at all.
template <class T>
Setting number(const char* name, bool has_env, T Config::*field, int64_t min, int64_t max, const char* what,
               const char* not_a_number = nullptr, int shift = 0) {
    return {name, has_env,
            [=](Config& c, const std::string& v) {
                auto n = parse_int(v);
                if (!n) return std::string(not_a_number ? not_a_number : what);
                if (*n < min || *n > max) return std::string(what);
                c.*field = static_cast<T>(*n) << shift;
                return std::string();
            },
            [=](const Config& c) { return std::to_string(static_cast<int64_t>(c.*field >> shift)); }};
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
            },
            [](const Config& c) { return c.backend_url; }};
}

constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNoMin = std::numeric_limits<int64_t>::min();

constexpr const char* kServe = "gateway";
constexpr const char* kBackend = "backend";
constexpr const char* kSearch = "web search and images";
constexpr const char* kLimits = "limits and timing";
constexpr const char* kObserve = "logging and observation";
constexpr const char* kEngine = "embedded engine (--model file.gguf)";
constexpr const char* kFleet = "several backends (README \"More than one machine\")";
constexpr const char* kLauncher = "claude launcher";
constexpr const char* kGroups[] = {kServe, kBackend, kFleet, kSearch, kLimits, kObserve, kEngine, kLauncher};

// The settings, in --help's order within each group.
const std::vector<Setting>& settings() {
    static const std::vector<Setting> table = [] {
        std::vector<Setting> t;
        t.push_back(text("host", true, &Config::host).doc(kServe, "ADDR", "address to listen on"));
        t.push_back(number("port", true, &Config::port, 0, 65535, "a port number 0-65535")
                        .doc(kServe, "N", "port to listen on; 0 picks a free one"));
        t.push_back(text("api-key", true, &Config::api_key).doc(kServe, "KEY", "clients must send it"));
        t.push_back(text("port-file", false, &Config::port_file)
                        .doc(kServe, "FILE", "write the listening port to FILE"));
        t.push_back(flag("insecure-bind", true, &Config::insecure_bind)
                        .doc(kServe, "BOOL", "allow a non-loopback --host without --api-key"));
        // mode_explicit: else a .gguf --model selects embedded
        t.push_back(choice("mode", true, &Config::mode, {"lmstudio", "mlx-lm", "openai", "embedded"},
                           "lmstudio, mlx-lm, openai or embedded", &Config::mode_explicit)
                        .doc(kBackend, "MODE", "lmstudio, mlx-lm, openai or embedded"));
        t.push_back(backend_urls("backend-url")
                        .doc(kBackend, "URL",
                             "default by mode: lmstudio LMSTUDIO_URL or http://localhost:1234/v1; mlx-lm "
                             "MLX_LM_URL or http://localhost:8081/v1; openai http://localhost:8080/v1. Repeated "
                             "or URL,URL,...: several backends, one conversation stays on one server; the config "
                             "file's \"backends\" list adds weight, models and key per server"));
        t.push_back(text("backend-key", true, &Config::backend_key)
                        .doc(kBackend, "KEY", "sent upstream as Authorization: Bearer"));
        t.push_back(text("model", true, &Config::model)
                        .doc(kBackend, "ID", "opus/sonnet-class requests (a .gguf file: the embedded engine)"));
        t.push_back(text("small-model", true, &Config::small_model)
                        .doc(kBackend, "ID", "haiku-class requests (default: --model)"));
        t.push_back(choice("mid-system", true, &Config::mid_system, {"auto", "keep", "user"}, "auto, keep or user")
                        .doc(kBackend, "auto|keep|user", "mid-conversation system messages"));
        t.push_back(flag("strip-billing-header", true, &Config::strip_billing_header)
                        .doc(kBackend, "BOOL", "drop Claude Code's billing line from the system prompt"));
        // Upstream modes; the embedded engine's window is its ctx-size.
        t.push_back(number("context-window", true, &Config::context_window, 0, kNoMax,
                           ">= 0; 0 means ask the backend", "a whole number")
                        .doc(kBackend, "N", "the model's window in tokens; 0 asks the backend"));
        t.push_back(text("search-url", true, &Config::search_url)
                        .doc(kSearch, "URL", "SearXNG instance for web search (JSON format on)"));
        t.push_back(text("brave-api-key", true, &Config::brave_api_key)
                        .doc(kSearch, "KEY", "Brave Search for web search"));
        t.push_back(text("brave-url", true, &Config::brave_url).doc(kSearch, "URL", "the Brave Search API endpoint"));
        t.push_back(text("vision-model", true, &Config::vision_model)
                        .doc(kSearch, "ID", "requests carrying images go to this model"));
        t.push_back(number("max-tokens-cap", true, &Config::max_tokens_cap, 0, kNoMax, "a number >= 0; 0 means no cap")
                        .doc(kLimits, "N", "clamp each request's max_tokens; 0 = none"));
        t.push_back(number("max-body-mb", true, &Config::max_body_bytes, 1, 4096, "1-4096", nullptr, 20)
                        .doc(kLimits, "N", "largest request body"));
        t.push_back(number("max-concurrent-requests", true, &Config::max_concurrent_requests, 1, kNoMax,
                           "a number >= 1")
                        .doc(kLimits, "N", "more at once are answered 529"));
        t.push_back(number("request-timeout-ms", true, &Config::request_timeout_ms, 10, 3'600'000,
                           "milliseconds, 10-3600000")
                        .doc(kLimits, "N", "a client must send its whole request within N ms, else 408"));
        t.push_back(number("commit-grace-ms", false, &Config::commit_grace_ms, 1, 3'600'000, "milliseconds, 1-3600000")
                        .doc(kLimits, "N", "longest wait for the backend before message_start goes out"));
        t.push_back(number("ping-interval-ms", false, &Config::ping_interval_ms, 1, 3'600'000,
                           "milliseconds, 1-3600000")
                        .doc(kLimits, "N", "pings while waiting for the first token"));
        t.push_back(choice("log-level", true, &Config::log_level, {"trace", "debug", "info", "warn", "error", "off"},
                           "trace, debug, info, warn, error or off")
                        .doc(kObserve, "LEVEL", "trace, debug, info, warn, error or off"));
        t.push_back(text("log-file", true, &Config::log_file).doc(kObserve, "FILE", "the log (default: stderr)"));
        t.push_back(flag("log-bodies", true, &Config::log_bodies)
                        .doc(kObserve, "BOOL", "log request bodies and upstream error texts (API keys never)"));
        t.push_back(text("record", true, &Config::record)
                        .doc(kObserve, "DIR",
                             "record every request (body as received, headers without keys) and its answer"));
        t.push_back(flag("record-redact", true, &Config::record_redact)
                        .doc(kObserve, "BOOL", "file contents and paths in recorded bodies become same-length filler"));
        t.push_back(flag("metrics", true, &Config::metrics)
                        .doc(kObserve, "BOOL", "GET /metrics (Prometheus) and the status page's lists at /"));
        t.push_back(text("request-log", true, &Config::request_log)
                        .doc(kObserve, "FILE",
                             "one JSON line per request (`claude` writes requests.jsonl beside the gateway's log)"));
        t.push_back(text("route-key-header", true, &Config::route_key_header)
                        .doc(kFleet, "NAME", "conversation key sent upstream (empty = none)"));
        t.push_back(choice("route-policy", true, &Config::route_policy, {"affinity", "round-robin", "least-loaded"},
                           "affinity, round-robin or least-loaded")
                        .doc(kFleet, "P", "affinity, round-robin or least-loaded"));
        t.push_back(number("route-load-slack-pct", true, &Config::route_load_slack_pct, 0, 1000, "percent, 0-1000")
                        .doc(kFleet, "N", "bounded load"));
        t.push_back(number("health-interval-ms", true, &Config::health_interval_ms, 50, 3'600'000,
                           "milliseconds, 50-3600000")
                        .doc(kFleet, "N", "health checks"));
        t.push_back(number("ctx-size", true, &Config::ctx_size, 0, kNoMax, ">= 0", "a whole number")
                        .doc(kEngine, "N",
                             "KV cells in all; 0: per-sequence, --parallel windows of min(training, 32768) "
                             "within half the free memory; unified, one such window shared"));
        t.push_back(number("parallel", true, &Config::parallel, 1, 64, "1-64", "a whole number")
                        .doc(kEngine, "N", "sequences"));
        t.push_back(choice("kv-layout", true, &Config::kv_layout, {"unified", "per-sequence"}, "unified or per-sequence")
                        .doc(kEngine, "unified|per-sequence",
                             "one KV buffer for all sequences, or one per sequence (shared prefixes copied)"));
        t.push_back(number("threads", true, &Config::threads, 0, kNoMax, ">= 0", "a whole number")
                        .doc(kEngine, "N", "0: all cores"));
        t.push_back(number("batch", false, &Config::batch, 16, 8192, "16-8192", "a whole number")
                        .doc(kEngine, "N", "tokens per decode batch"));
        t.push_back(number("gpu-layers", true, &Config::gpu_layers, kNoMin, kNoMax, "a whole number")
                        .doc(kEngine, "N", "layers offloaded to the GPU"));
        t.push_back(flag("flash-attn", true, &Config::flash_attn).doc(kEngine, "BOOL", "flash attention"));
        t.push_back(text("chat-template-file", true, &Config::chat_template_file)
                        .doc(kEngine, "FILE", "a Jinja template instead of the model's"));
        t.push_back(number("cache-ram-mb", true, &Config::cache_ram_mb, 0, kNoMax, ">= 0", "a whole number")
                        .doc(kEngine, "N", "prompt cache RAM tier"));
        t.push_back(text("cache-dir", true, &Config::cache_dir)
                        .doc(kEngine, "DIR|off", "prompt cache disk tier (default ~/.cache/anyclaude/kv)"));
        t.push_back(number("cache-disk-mb", true, &Config::cache_disk_mb, 1, kNoMax, "megabytes, >= 1")
                        .doc(kEngine, "N", "disk tier budget"));
        t.push_back(flag("claude-ids", true, &Config::claude_ids)
                        .doc(kLauncher, "BOOL",
                             "keep Claude Code's Claude model ids and size compaction with "
                             "CLAUDE_CODE_AUTO_COMPACT_WINDOW (false: the local model id, with "
                             "CLAUDE_CODE_MAX_CONTEXT_TOKENS)"));
        t.push_back(flag("allow-small-window", true, &Config::allow_small_window)
                        .doc(kLauncher, "BOOL", "start Claude Code even when the window is under 16384 tokens"));
        return t;
    }();
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

namespace {

// Words of text after `first` on lines of at most `width` columns, later lines indented by `indent`.
void wrap(std::string& out, std::string_view first, const std::string& text, std::size_t indent, std::size_t width) {
    std::string line(first);
    std::istringstream words(text);
    for (std::string w; words >> w;) {
        if (line.size() > indent && line.size() + 1 + w.size() > width) {
            out += line + "\n";
            line = std::string(indent, ' ');
        } else if (line.size() > indent) {
            line += ' ';
        }
        line += w;
    }
    out += line + "\n";
}

}  // namespace

std::string settings_help() {
    constexpr std::size_t kColumn = 34, kWidth = 100;
    const Config defaults;
    std::string out;
    for (const char* group : kGroups) {
        out += std::string(group) + ":\n";
        for (const auto& s : settings()) {
            if (std::string_view(s.group) != group) continue;
            std::string head = std::string("  --") + s.name + " " + s.arg;
            head.resize(std::max(head.size() + 1, kColumn), ' ');
            std::string text = env_var(s);
            text += text.empty() ? s.help : std::string(": ") + s.help;
            if (const std::string d = s.shown ? s.shown(defaults) : ""; !d.empty()) text += " (default " + d + ")";
            wrap(out, head, text, kColumn, kWidth);
        }
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
