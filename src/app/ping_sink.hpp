// "Ping until the first token", once for every backend: a sink decorator that, once the stream
// has started (message_start went through) and until the first content block starts, sends a
// ping after each interval without an event, so the client's connection and idle timers see a
// live stream while a backend prefills or waits for a free sequence. The backends decide only
// when message_start goes out (upstream: after the commit grace; embedded: after one interval in
// the engine's queue); the pings that followed were two copies of this loop.
#pragma once

#include <chrono>

#include "backends/backend.hpp"

namespace anyclaude::app {

class PingingSink final : public backends::EventSink {
public:
    PingingSink(backends::EventSink& inner, std::chrono::milliseconds interval) : inner_(inner), interval_(interval) {}

    awaitable<void> emit(const ir::Event& ev) override;
    bool committed() const override { return inner_.committed(); }

    // Sends the pings; never completes (run it beside the backend's generate and let that end it).
    awaitable<void> run();

private:
    using Clock = std::chrono::steady_clock;
    backends::EventSink& inner_;
    std::chrono::milliseconds interval_;
    Clock::time_point last_ = Clock::now();
    bool started_ = false;
    bool first_block_ = false;
};

}  // namespace anyclaude::app
