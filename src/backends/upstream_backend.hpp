// The backend for OpenAI-compatible servers (LM Studio, MLX-LM, llama-server, vLLM, SGLang,
// Ollama, hosted APIs): ir::Request -> chat/completions JSON -> HTTP stream -> ir::Events.
// Holds the client's HTTP status back until the upstream answers (so upstream errors keep their
// status), but never longer than commit_grace: then message_start goes out and pings follow
// until the first token.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "backends/backend.hpp"
#include "http/client.hpp"
#include "http/url.hpp"
#include "openai/chat_encoder.hpp"

namespace anyclaude::backends {

struct UpstreamConfig {
    std::string mode = "openai";  // lmstudio | mlx-lm | openai (for logs and defaults)
    http::Url url;
    std::string api_key;        // sent as Authorization: Bearer
    std::string default_model;  // used when the request maps to no model ("" -> ask /models once)
    std::vector<std::string> models;  // configured model ids (for /v1/models)
    openai::MidSystem mid_system = openai::MidSystem::keep;
    bool mid_system_fallback = true;  // retry as_user when the template rejects a late system message
    openai::ThinkingControl thinking = openai::ThinkingControl::none;
    int64_t max_tokens_cap = 32768;
    bool parse_text_tool_calls = true;
    std::chrono::milliseconds commit_grace{2000};
    std::chrono::milliseconds ping_interval{10000};
    http::ClientTimeouts timeouts;
    bool log_bodies = false;  // log upstream error texts (they may quote the request)
};

// Defaults for a mode: "lmstudio", "mlx-lm" or "openai".
UpstreamConfig upstream_defaults(const std::string& mode);

class UpstreamBackend final : public Backend {
public:
    explicit UpstreamBackend(UpstreamConfig cfg);

    awaitable<std::optional<ir::ApiError>> generate(const ir::Request& req, EventSink& sink) override;
    awaitable<ir::Result<int64_t>> count_tokens(const ir::Request& req) override;
    std::vector<ModelInfo> models() const override;
    std::string describe() const override;

    const UpstreamConfig& config() const { return cfg_; }

    struct Attempt;  // one try at a request (defined in the .cpp)

private:
    awaitable<void> run(const ir::Request& req, EventSink& sink, Attempt& at);
    awaitable<void> keepalive(const ir::Request& req, EventSink& sink, Attempt& at);
    awaitable<std::string> resolve_model(const ir::Request& req);

    UpstreamConfig cfg_;
    http::ConnectionPool pool_;  // keep-alive connections to a plain-HTTP upstream
    bool late_system_as_user_ = false;  // learned: this upstream rejects late system messages
    bool model_discovery_done_ = false;
    std::string discovered_model_;
};

}  // namespace anyclaude::backends
