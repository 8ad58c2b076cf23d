// The Anthropic front door over HTTP: routes /v1/messages, /v1/messages/count_tokens,
// /v1/models, /health and /health/backend to a backend, checks the client's key, enforces the concurrency
// limit, and streams the backend's events back as SSE (or one JSON message). With an observatory
// (observe/observatory.hpp) it also serves /metrics, /status.json and the status page at / (a
// client sending Accept: application/json gets /health's answer at /), and tells each request's
// summary what only it knows (route, session, models, disconnects).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "backends/backend.hpp"
#include "http/server.hpp"
#include "observe/observatory.hpp"

namespace anyclaude::app {

struct GatewayStats {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> client_disconnects{0};
    std::atomic<std::size_t> in_flight{0};
};

class Gateway {
public:
    Gateway(const Config& cfg, std::shared_ptr<backends::Backend> backend);

    awaitable<void> handle(const http::Request& req, http::ResponseWriter& w);
    const GatewayStats& stats() const { return stats_; }
    void set_observatory(std::shared_ptr<observe::Observatory> obs) { obs_ = std::move(obs); }

    // Maps a client model name to the backend's: an id the backend serves stays; any other goes
    // to the small model when haiku-class, else to the main one.
    std::string map_model(const std::string& client_model) const;

private:
    awaitable<void> messages(const http::Request& req, http::ResponseWriter& w);
    awaitable<void> count_tokens(const http::Request& req, http::ResponseWriter& w);
    awaitable<void> list_models(const std::string& path, http::ResponseWriter& w);
    awaitable<void> health(http::ResponseWriter& w);
    awaitable<void> backend_health(http::ResponseWriter& w);
    awaitable<void> observation(const std::string& path, const http::Request& req, http::ResponseWriter& w);
    void log_body(const http::Request& req, const http::ResponseWriter& w) const;
    awaitable<void> send_error(http::ResponseWriter& w, const ir::ApiError& e);
    bool authorized(const http::Request& req) const;

    Config cfg_;
    std::shared_ptr<backends::Backend> backend_;
    GatewayStats stats_;
    std::shared_ptr<observe::Observatory> obs_;
};

}  // namespace anyclaude::app
