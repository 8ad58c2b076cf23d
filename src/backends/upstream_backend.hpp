// The backend for OpenAI-compatible servers (LM Studio, MLX-LM, llama-server, vLLM, SGLang,
// Ollama, hosted APIs): ir::Request -> chat/completions JSON -> HTTP stream -> ir::Events.
// Holds the client's HTTP status back until the upstream answers (so upstream errors keep their
// status), but never longer than commit_grace (commit_grace_near_window when the prompt may be
// over the window: see context_window.hpp's commit_grace): then message_start goes out (the
// front door pings until the first token: app/ping_sink.hpp).
// Learns each model's window once (upstream_probe.hpp; the context-window setting overrides
// it), refuses a prompt clearly over it, sizes max_tokens to fit, and answers the backend's own
// context errors as Anthropic's "prompt is too long: N tokens > M maximum".
// Knows per model whether it takes images (the server's metadata, else its first rejection,
// image_support.hpp): a text-only model gets placeholders instead, and a request it rejected for
// an image is retried once with them; with vision-model set, requests carrying images go there.
// count_tokens asks the server where it can count (upstream_token_count.hpp), else estimates.
// With route_key_header set, every chat request carries the conversation key
// (ir/conversation_key.hpp) in that header, for routers in front of several servers.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "backends/backend.hpp"
#include "backends/upstream_probe.hpp"
#include "backends/upstream_token_count.hpp"
#include "http/client.hpp"
#include "http/url.hpp"
#include "openai/chat_encoder.hpp"
#include "openai/context_errors.hpp"

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
    bool parse_text_tool_calls = true;
    std::chrono::milliseconds commit_grace{2000};
    // 30 s: a context error comes back once the upstream has tokenized the prompt (well under a
    // second in llama-server and vLLM), after any model load (LM Studio's JIT load, Ollama's:
    // seconds to tens of seconds). Before the first byte Claude Code only runs its request
    // timeout (API_TIMEOUT_MS, 10 minutes by default), so holding the status costs it nothing.
    std::chrono::milliseconds commit_grace_near_window{30000};
    int64_t context_window = 0;  // the context-window setting (0: ask the backend)
    http::ClientTimeouts timeouts;
    bool log_bodies = false;  // log upstream error texts (they may quote the request)
    std::string vision_model;  // requests carrying images go to this model on the same server ("" = none)
    std::string route_key_header;  // header carrying the conversation key upstream ("" = none)
};

// True when err is generate()'s answer for an upstream that could not be reached at all (refused,
// unresolvable): a 400 for Claude Code's sake (it would retry a 5xx for minutes), yet a dead
// backend to a fleet (src/fleet/), which tries another.
bool is_unreachable(const ir::ApiError& err);

// Defaults for a mode: "lmstudio", "mlx-lm" or "openai".
UpstreamConfig upstream_defaults(const std::string& mode);

class UpstreamBackend final : public Backend {
public:
    explicit UpstreamBackend(UpstreamConfig cfg);

    awaitable<std::optional<ir::ApiError>> generate(const ir::Request& req, EventSink& sink) override;
    // generate() with the conversation key already known (the fleet computes it once).
    awaitable<std::optional<ir::ApiError>> generate_keyed(const ir::Request& req, EventSink& sink, uint64_t key);
    awaitable<ir::Result<int64_t>> count_tokens(const ir::Request& req) override;
    std::vector<ModelInfo> models() const override;
    std::string describe() const override;
    const UpstreamConfig& config() const { return cfg_; }  // the fleet reads its members' URLs and keys
    awaitable<BackendStatus> status() override;
    ContextWindow window() const override;
    bool serves(const std::string& model_id) const override;
    std::string count_tokens_method() const override;


    struct Attempt;  // one try at a request (defined in the .cpp)

private:
    awaitable<void> run(const ir::Request& req, EventSink& sink, Attempt& at);
    awaitable<void> keepalive(const ir::Request& req, EventSink& sink, Attempt& at);
    awaitable<std::string> resolve_model(const ir::Request& req);
    awaitable<ContextWindow> window_for(const std::string& model);
    void learn(const UpstreamProbe& probe);
    ContextWindow cached_window(const std::string& model) const;
    std::optional<ir::ApiError> refuse(const ContextWindow& w, int64_t estimate) const;
    std::optional<ir::ApiError> on_context_error(const openai::ContextOverflow& o, Attempt& at);
    openai::ChatEncodeOptions encode_options(const std::string& model, bool images) const;
    bool text_only(const std::string& model) const;
    void learn_text_only(const std::string& model, const std::string& source);
    awaitable<std::string> route_images(const ir::Request& req, std::string model);

    UpstreamConfig cfg_;
    http::ConnectionPool pool_;  // keep-alive connections to a plain-HTTP upstream
    bool late_system_as_user_ = false;  // learned: this upstream rejects late system messages
    std::string discovered_model_;      // the first model its /models lists
    std::vector<std::string> served_;   // every model its /models listed last
    struct Learned {
        ContextWindow window;
        std::chrono::steady_clock::time_point at;
    };
    std::map<std::string, Learned> windows_;  // per model; one I/O thread uses it
    std::set<std::string> warned_;            // models whose unknown window was logged
    std::map<std::string, VisionInfo> vision_;  // per model: takes images or not, and who said so
    std::set<std::string> placeholder_logged_;  // models whose image placeholders were logged
    UpstreamTokenCounter counter_;
};

}  // namespace anyclaude::backends
