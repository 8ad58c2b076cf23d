// Loading gateway settings from file, environment and flags (see config.hpp).
#include "app/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

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

const std::vector<std::string>& setting_names() {
    static const std::vector<std::string> names = {
        "host", "port", "mode", "backend-url", "backend-key", "model", "small-model", "api-key", "log-level",
        "log-file", "port-file", "mid-system", "strip-billing-header", "max-tokens-cap", "max-body-mb",
        "max-concurrent-requests", "insecure-bind", "request-timeout-ms", "log-bodies", "commit-grace-ms", "ping-interval-ms", "cache-ram-mb",
        "cache-disk-mb", "cache-dir", "ctx-size", "parallel", "threads", "batch", "gpu-layers", "flash-attn", "chat-template-file"};
    return names;
}

std::string apply_setting(Config& c, const std::string& name, const std::string& value) {
    auto bad = [&](const char* what) { return "invalid value for " + name + ": '" + value + "' (" + what + ")"; };
    if (name == "host") {
        c.host = value;
    } else if (name == "port") {
        auto n = parse_int(value);
        if (!n || *n < 0 || *n > 65535) return bad("a port number 0-65535");
        c.port = static_cast<unsigned short>(*n);
    } else if (name == "mode") {
        if (value != "lmstudio" && value != "mlx-lm" && value != "openai" && value != "embedded")
            return bad("lmstudio, mlx-lm, openai or embedded");
        c.mode = value;
        c.mode_explicit = true;
    } else if (name == "backend-url") {
        c.backend_url = value;
    } else if (name == "backend-key") {
        c.backend_key = value;
    } else if (name == "model") {
        c.model = value;
    } else if (name == "small-model") {
        c.small_model = value;
    } else if (name == "api-key") {
        c.api_key = value;
    } else if (name == "log-level") {
        if (value != "trace" && value != "debug" && value != "info" && value != "warn" && value != "error" &&
            value != "off")
            return bad("trace, debug, info, warn, error or off");
        c.log_level = value;
    } else if (name == "log-file") {
        c.log_file = value;
    } else if (name == "port-file") {
        c.port_file = value;
    } else if (name == "mid-system") {
        if (value != "auto" && value != "keep" && value != "user") return bad("auto, keep or user");
        c.mid_system = value;
    } else if (name == "strip-billing-header") {
        auto b = parse_bool(value);
        if (!b) return bad("true or false");
        c.strip_billing_header = *b;
    } else if (name == "max-tokens-cap") {
        auto n = parse_int(value);
        if (!n || *n < 0) return bad("a number >= 0; 0 means no cap");
        c.max_tokens_cap = *n;
    } else if (name == "max-body-mb") {
        auto n = parse_int(value);
        if (!n || *n < 1 || *n > 4096) return bad("1-4096");
        c.max_body_bytes = static_cast<std::size_t>(*n) << 20;
    } else if (name == "max-concurrent-requests") {
        auto n = parse_int(value);
        if (!n || *n < 1) return bad("a number >= 1");
        c.max_concurrent_requests = static_cast<std::size_t>(*n);
    } else if (name == "insecure-bind") {
        auto b = parse_bool(value);
        if (!b) return bad("true or false");
        c.insecure_bind = *b;
    } else if (name == "log-bodies") {
        auto b = parse_bool(value);
        if (!b) return bad("true or false");
        c.log_bodies = *b;
    } else if (name == "request-timeout-ms") {
        auto n = parse_int(value);
        if (!n || *n < 10 || *n > 3'600'000) return bad("milliseconds, 10-3600000");
        c.request_timeout_ms = *n;
    } else if (name == "commit-grace-ms" || name == "ping-interval-ms") {
        auto n = parse_int(value);
        if (!n || *n < 1 || *n > 3'600'000) return bad("milliseconds, 1-3600000");
        (name == "commit-grace-ms" ? c.commit_grace_ms : c.ping_interval_ms) = *n;
    } else if (name == "cache-dir") {
        c.cache_dir = value;
    } else if (name == "chat-template-file") {
        c.chat_template_file = value;
    } else if (name == "flash-attn") {
        auto b = parse_bool(value);
        if (!b) return bad("true or false");
        c.flash_attn = *b;
    } else if (name == "cache-disk-mb") {
        auto n = parse_int(value);
        if (!n || *n < 1) return bad("megabytes, >= 1");
        c.cache_disk_mb = *n;
    } else if (name == "cache-ram-mb" || name == "ctx-size" || name == "parallel" || name == "threads" ||
               name == "batch" || name == "gpu-layers") {
        auto n = parse_int(value);
        if (!n) return bad("a whole number");
        if (name == "cache-ram-mb") {
            if (*n < 0) return bad(">= 0");
            c.cache_ram_mb = *n;
        } else if (name == "ctx-size") {
            if (*n < 0) return bad(">= 0");
            c.ctx_size = *n;
        } else if (name == "parallel") {
            if (*n < 1 || *n > 64) return bad("1-64");
            c.parallel = *n;
        } else if (name == "threads") {
            if (*n < 0) return bad(">= 0");
            c.threads = *n;
        } else if (name == "batch") {
            if (*n < 16 || *n > 8192) return bad("16-8192");
            c.batch = *n;
        } else {
            c.gpu_layers = *n;
        }
    } else {
        return "unknown setting '" + name + "'";
    }
    return {};
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
    struct EnvName {
        const char* env;
        const char* setting;
    };
    static const EnvName names[] = {
        {"ANYCLAUDE_HOST", "host"},
        {"ANYCLAUDE_PORT", "port"},
        {"ANYCLAUDE_MODE", "mode"},
        {"ANYCLAUDE_BACKEND_URL", "backend-url"},
        {"ANYCLAUDE_BACKEND_KEY", "backend-key"},
        {"ANYCLAUDE_MODEL", "model"},
        {"ANYCLAUDE_SMALL_MODEL", "small-model"},
        {"ANYCLAUDE_API_KEY", "api-key"},
        {"ANYCLAUDE_LOG_LEVEL", "log-level"},
        {"ANYCLAUDE_LOG_FILE", "log-file"},
        {"ANYCLAUDE_MID_SYSTEM", "mid-system"},
        {"ANYCLAUDE_STRIP_BILLING_HEADER", "strip-billing-header"},
        {"ANYCLAUDE_MAX_TOKENS_CAP", "max-tokens-cap"},
        {"ANYCLAUDE_MAX_BODY_MB", "max-body-mb"},
        {"ANYCLAUDE_MAX_CONCURRENT_REQUESTS", "max-concurrent-requests"},
        {"ANYCLAUDE_INSECURE_BIND", "insecure-bind"},
        {"ANYCLAUDE_REQUEST_TIMEOUT_MS", "request-timeout-ms"},
        {"ANYCLAUDE_LOG_BODIES", "log-bodies"},
        {"ANYCLAUDE_CACHE_RAM_MB", "cache-ram-mb"},
        {"ANYCLAUDE_CACHE_DISK_MB", "cache-disk-mb"},
        {"ANYCLAUDE_CACHE_DIR", "cache-dir"},
        {"ANYCLAUDE_CTX_SIZE", "ctx-size"},
        {"ANYCLAUDE_PARALLEL", "parallel"},
        {"ANYCLAUDE_THREADS", "threads"},
        {"ANYCLAUDE_GPU_LAYERS", "gpu-layers"},
        {"ANYCLAUDE_FLASH_ATTN", "flash-attn"},
        {"ANYCLAUDE_CHAT_TEMPLATE_FILE", "chat-template-file"},
    };
    for (const auto& n : names)
        if (const char* v = env(n.env))
            if (auto err = apply_setting(c, n.setting, v); !err.empty()) return std::string(n.env) + ": " + err;
    return {};
}

bool wants_embedded(const Config& c) {
    if (c.mode_explicit) return c.mode == "embedded";
    return c.model.size() > 5 && c.model.compare(c.model.size() - 5, 5, ".gguf") == 0;
}

std::string effective_cache_dir(const Config& c) {
    if (c.cache_dir == "off") return {};
    if (!c.cache_dir.empty()) return c.cache_dir;
    if (const char* v = env("ANYCLAUDE_CACHE")) return std::string(v) + "/kv";
    if (const char* x = env("XDG_CACHE_HOME")) return std::string(x) + "/anyclaude/kv";
    const char* home = env("HOME");
    return std::string(home ? home : "/tmp") + "/.cache/anyclaude/kv";
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
