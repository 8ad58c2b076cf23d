// Event sinks for the front door: SseSink writes Anthropic SSE to the client as events come
// (a detached writer, so a cancelled emitter never leaves half a frame on the wire);
// CollectingSink aggregates a whole message for stream:false.
#pragma once

#include <memory>
#include <string>

#include "anthropic/message_aggregator.hpp"
#include "backends/backend.hpp"
#include "http/server.hpp"

namespace anyclaude::app {

class SseSink final : public backends::EventSink {
public:
    explicit SseSink(http::ResponseWriter& w);
    ~SseSink() override;

    awaitable<void> emit(const ir::Event& ev) override;
    bool committed() const override { return state_->committed; }
    // Waits until everything emitted has been written (or the client is gone).
    awaitable<void> flush();
    bool client_gone() const { return state_->gone; }

private:
    struct State {
        http::ResponseWriter* writer = nullptr;
        std::string pending;
        bool committed = false;
        bool writing = false;
        bool gone = false;
        bool headers_sent = false;
        std::unique_ptr<net::steady_timer> drained;  // cancelled whenever the writer goes idle
    };
    static awaitable<void> write_loop(std::shared_ptr<State> st);
    std::shared_ptr<State> state_;
};

class CollectingSink final : public backends::EventSink {
public:
    awaitable<void> emit(const ir::Event& ev) override {
        committed_ = true;
        agg_.add(ev);
        co_return;
    }
    bool committed() const override { return committed_; }
    const anthropic::MessageAggregator& message() const { return agg_; }

private:
    anthropic::MessageAggregator agg_;
    bool committed_ = false;
};

}  // namespace anyclaude::app
