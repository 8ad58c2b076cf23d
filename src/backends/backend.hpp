// The one interface every backend implements (upstream OpenAI-compatible servers now, the
// in-process engine later), and the sink it streams neutral events into.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

    // Counters for /health as a JSON object text ("" when the backend has none).
    virtual std::string stats_json() const { return {}; }

    // Ends background work that posts back to the I/O loop (threads of its own). Called once
    // the loop has stopped and before it is destroyed; idempotent.
    virtual void stop() {}
};

}  // namespace anyclaude::backends
