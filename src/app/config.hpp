// Gateway settings, from (lowest to highest precedence) defaults, a JSON config file,
// environment variables and command-line flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace anyclaude::app {

// One server of a fleet (src/fleet/): backend-url given several times (or as a comma list), or
// the config file's "backends" list of {"url", "weight", "models", "key"}.
struct BackendEntry {
    std::string url;
    int64_t weight = 1;               // share of new conversations (more points on the hash ring)
    std::vector<std::string> models;  // the models it serves (empty: every model)
    std::string key;                  // its API key ("" -> backend-key)
};

struct Config {
    std::string host = "127.0.0.1";
    unsigned short port = 8082;
    std::string mode = "lmstudio";  // lmstudio | mlx-lm | openai | embedded
    bool mode_explicit = false;     // set by flag/env/file (else a .gguf --model selects embedded)
    std::string backend_url;        // "" -> the mode's URL (LMSTUDIO_URL / MLX_LM_URL / default)
    std::string backend_key;
    std::vector<BackendEntry> backends;  // two or more: a fleet (backend_url is then the first's)
    std::string route_key_header = "x-anyclaude-conversation";  // conversation key sent upstream ("" = none)
    std::string route_policy = "affinity";  // affinity | round-robin | least-loaded (fleet)
    int64_t route_load_slack_pct = 25;      // fleet: bounded load, % over the weighted average in flight
    int64_t health_interval_ms = 3000;      // fleet: active health checks of each backend
    std::string model;        // opus/sonnet-class requests go here (embedded: the GGUF file)
    std::string small_model;  // haiku-class requests go here ("" -> model)
    std::string api_key;      // when set, clients must present it
    std::string log_level = "info";
    std::string log_file;     // "" -> stderr
    std::string port_file;    // written with the port once listening
    std::string mid_system = "auto";  // auto | keep | user
    bool strip_billing_header = true;
    int64_t max_tokens_cap = 32768;
    // Web search run by the gateway (src/search): a SearXNG instance, else Brave Search with a key.
    std::string search_url;     // SearXNG base URL ("" = none)
    std::string brave_api_key;  // Brave Search API key ("" = none)
    std::string brave_url = "https://api.search.brave.com/res/v1/web/search";  // overridable (tests)
    std::string vision_model;   // upstream: requests carrying images go to this model ("" = none)
    std::size_t max_body_bytes = 32u << 20;
    std::size_t max_concurrent_requests = 64;
    bool insecure_bind = false;  // allow a non-loopback bind without api_key
    int64_t request_timeout_ms = 30000;  // a client must send a whole request within this (else 408)
    bool log_bodies = false;     // log request bodies and upstream error texts (never API keys)
    int64_t commit_grace_ms = 2000;   // longest wait for the upstream's headers before message_start goes out
    int64_t ping_interval_ms = 10000;  // pings while waiting for the first token
    int64_t context_window = 0;  // the model's window in tokens (0: ask the backend; see backends/context_window.hpp)
    std::string config_file;     // where settings were read from ("" if none)
    std::string record;          // "" or a folder: every request and its answer recorded (recorder.hpp)
    bool record_redact = false;  // recordings get same-length filler for file contents and paths (redact.hpp)
    bool metrics = true;         // GET /metrics, the status page's lists (observe/observatory.hpp)
    std::string request_log;     // "" or a file: one JSON line per API request (observe/request_log.hpp)
    // Embedded engine.
    int64_t cache_ram_mb = 4096;  // RAM tier budget
    int64_t cache_disk_mb = 20480;  // disk tier budget (oldest, least valuable files removed past it)
    std::string cache_dir;        // disk tier ("" -> ~/.cache/anyclaude/kv; "off" disables it)
    int64_t ctx_size = 0;         // KV cells in all (0: automatic, engine/kv_sizing.hpp)
    int64_t parallel = 4;         // sequences
    std::string kv_layout = "per-sequence";  // or unified (engine/kv_sizing.hpp KvLayout)
    int64_t threads = 0;          // 0: all cores
    int64_t batch = 512;
    int64_t gpu_layers = 0;
    bool flash_attn = false;
    std::string chat_template_file;  // a Jinja template instead of the model's
    // `anyclaude claude`.
    bool claude_ids = false;          // keep Claude Code's Claude model ids (see claude_env.hpp)
    bool allow_small_window = false;  // start Claude Code even when its first exchange cannot fit
};

// Applies one setting by its flag name (e.g. "backend-url"); returns an error text or "".
std::string apply_setting(Config& c, const std::string& name, const std::string& value);

// Command-line flags in order, with a setting given several times (backend-url) joined into one
// comma list, so that it is applied once and replaces what the file or environment set.
std::vector<std::pair<std::string, std::string>> merge_repeated(
    const std::vector<std::pair<std::string, std::string>>& flags);

// Reads the config file (ANYCLAUDE_CONFIG, else ~/.config/anyclaude/config.json when it exists),
// then the environment. Returns an error text or "".
std::string load_file_and_env(Config& c, const std::string& explicit_file = "");

// True when the settings ask for the embedded engine (mode embedded, or a .gguf --model
// without an explicit mode).
bool wants_embedded(const Config& c);
// The disk tier's folder ("" when disabled).
// anyclaude's cache folder: $ANYCLAUDE_CACHE, else $XDG_CACHE_HOME/anyclaude, else
// ~/.cache/anyclaude (the build keeps llama.cpp there too; the launcher its log).
std::string cache_root();
std::string effective_cache_dir(const Config& c);

// The upstream URL the mode implies when backend_url is not set.
std::string effective_backend_url(const Config& c);

// Names of all settings (the long flag names, also the config file's keys).
const std::vector<std::string>& setting_names();
// The environment variable that sets a setting (ANYCLAUDE_ and the name in capitals with
// underscores), or "" for those only a flag or the config file sets (port-file, batch,
// commit-grace-ms, ping-interval-ms).
std::string env_name(const std::string& setting);

// The settings part of --help, generated from the settings table: grouped, each flag with its
// variable, what it does and its default.
std::string settings_help();

}  // namespace anyclaude::app
