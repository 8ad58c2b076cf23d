// The backend for the embedded engine (`--model file.gguf`): renders each request with the
// model's chat template on a worker thread, checks it fits the context, submits it to the
// engine thread and streams the engine's events back to the client; a client that goes away
// cancels its job, and the engine frees its sequence at its next step.
#pragma once

#include <memory>

#include "backends/backend.hpp"
#include "engine/engine.hpp"

namespace anyclaude::backends {

struct EngineBackendOptions {
    // message_start goes out after this long in the engine's queue (the front door then pings).
    std::chrono::milliseconds ping_interval{10000};
    std::string model_id;  // what /v1/models lists (default: the file name)
};

class EngineBackend final : public Backend {
public:
    EngineBackend(std::shared_ptr<engine::Engine> engine, EngineBackendOptions opt);
    ~EngineBackend() override;

    awaitable<std::optional<ir::ApiError>> generate(const ir::Request& req, EventSink& sink) override;
    awaitable<ir::Result<int64_t>> count_tokens(const ir::Request& req) override;
    std::vector<ModelInfo> models() const override;
    std::string describe() const override;
    std::string stats_json() const override;
    awaitable<BackendStatus> status() override;
    ContextWindow window() const override;
    void stop() override;


private:
    awaitable<ir::Result<engine::RenderedPrompt>> render(const ir::Request& req);

    std::shared_ptr<engine::Engine> engine_;
    EngineBackendOptions opt_;
    net::thread_pool render_pool_{1};
};

}  // namespace anyclaude::backends
