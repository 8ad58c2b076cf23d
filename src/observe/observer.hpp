// The one observation point around the gateway's handler (installed once, in
// app/server_runner.cpp make_server): each request gets a RequestSummary and an ObservingWriter;
// when the handler ends (returned, threw, or its frame was destroyed with the connection) the
// answer is read, the engine's facts are added, and every consumer gets the summary.
// Consumers: the recorder (--record), the request log and recent list, the metrics.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "observe/request_summary.hpp"

namespace anyclaude::observe {

class Consumer {
public:
    virtual ~Consumer() = default;
    // On the I/O thread when the request arrives; what it returns comes back to end().
    virtual std::shared_ptr<void> begin(const http::Request& req, const RequestSummary& s) { return nullptr; }
    // On the I/O thread when the answer has ended. Must not block (hand disk work to a thread).
    virtual void end(const RequestSummary& s, const std::shared_ptr<void>& state) = 0;
};

// Adds what the backend knows about a finished request (tier, queue wait, speeds) to its summary.
using Enricher = std::function<void(RequestSummary&)>;

class Observer {
public:
    Observer(std::vector<std::shared_ptr<Consumer>> consumers, Enricher enrich);
    http::Handler wrap(http::Handler inner) const;

    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace anyclaude::observe
