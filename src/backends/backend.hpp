// The one interface every backend implements (upstream OpenAI-compatible servers, the
// in-process engine), and the sink it streams neutral events into.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backends/context_window.hpp"
#include "http/asio.hpp"
#include "ir/event.hpp"
#include "ir/request.hpp"
#include "ir/result.hpp"

namespace anyclaude::backends {

class EventSink {
public:
    virtual ~EventSink() = default;
    // Delivers one event to the client; suspends while the client is slow (back-pressure).
    // Several coroutines of one request may emit; order is the order of the calls.
    virtual awaitable<void> emit(const ir::Event& ev) = 0;
    // True once any event was emitted (the HTTP status is then committed).
    virtual bool committed() const = 0;
};

struct ModelInfo {
    std::string id;
    std::string display_name;
};

// What GET /health/backend answers (the launcher checks it before it starts Claude Code).
struct BackendStatus {
    bool reachable = false;
    std::string model;  // the id the backend serves ("" when none)
    std::optional<int64_t> context_window;  // nullopt when nothing can tell (backend unreachable)
    std::string window_source;  // where context_window came from (context_window.hpp)
    std::string problem;        // one line a person can act on; "" when fine
    std::string fix;            // the command or setting that fixes it; "" when fine
};

class Backend {
public:
    virtual ~Backend() = default;

    // Generates a response for req, streaming events into sink. Returns an error only when no
    // event was emitted (the front door answers with that HTTP error); after the first event,
    // failures are emitted as ir::StreamError and nullopt is returned. Cancelling the coroutine
    // (client gone) must stop the work promptly.
    virtual awaitable<std::optional<ir::ApiError>> generate(const ir::Request& req, EventSink& sink) = 0;

    // Prompt tokens of req as the backend would count them.
    virtual awaitable<ir::Result<int64_t>> count_tokens(const ir::Request& req) = 0;

    // Models this backend serves (for GET /v1/models).
    virtual std::vector<ModelInfo> models() const = 0;

    // A short description for logs and /health, e.g. "openai http://127.0.0.1:8080/v1".
    virtual std::string describe() const = 0;

    // Asks the backend now (short timeouts) whether it answers, what it serves and its window.
    virtual awaitable<BackendStatus> status() = 0;

    // The main model's window as last learned, without asking (for /health); not known() when
    // nothing has told it yet.
    virtual ContextWindow window() const = 0;

    // True when the backend serves this model id as it is (else the gateway maps it).
    virtual bool serves(const std::string& model_id) const {
        for (const auto& m : models())
            if (m.id == model_id) return true;
        return false;
    }

    // How count_tokens counts, for /health ("" when the backend does not say).
    virtual std::string count_tokens_method() const { return {}; }

    // Counters for /health as a JSON object text ("" when the backend has none).
    virtual std::string stats_json() const { return {}; }

    // Several servers behind this backend (src/fleet/): /health's "fleet" object as JSON text
    // ("" when it is one server).
    virtual std::string fleet_json() const { return {}; }

    // Ends background work that posts back to the I/O loop (threads of its own). Called once
    // the loop has stopped and before it is destroyed; idempotent.
    virtual void stop() {}
};

}  // namespace anyclaude::backends
