// SSE writing with back-pressure (see event_sinks.hpp).
#include "app/event_sinks.hpp"

#include "anthropic/sse_encoder.hpp"

namespace anyclaude::app {

namespace {
constexpr std::size_t kHighWater = 256 * 1024;  // emitters wait while more than this is unwritten
}

SseSink::SseSink(http::ResponseWriter& w) : state_(std::make_shared<State>()) { state_->writer = &w; }

SseSink::~SseSink() { state_->writer = nullptr; }

awaitable<void> SseSink::write_loop(std::shared_ptr<State> st) {
    std::string chunk;
    while (st->writer && !st->gone && (!st->pending.empty() || !st->headers_sent)) {
        if (!st->headers_sent) {
            st->headers_sent = true;
            std::vector<std::pair<std::string, std::string>> headers;
            headers.emplace_back("x-accel-buffering", "no");
            co_await st->writer->start_stream(200, "text/event-stream", headers);
            continue;
        }
        chunk.clear();
        chunk.swap(st->pending);
        if (!co_await st->writer->write_chunk(chunk)) st->gone = true;
    }
    if (st->gone) st->pending.clear();
    st->writing = false;
    if (st->drained) st->drained->cancel();
}

awaitable<void> SseSink::emit(const ir::Event& ev) {
    auto st = state_;
    st->committed = true;
    if (st->gone) co_return;
    anthropic::encode_sse(ev, st->pending);
    if (!st->writing) {
        st->writing = true;
        if (!st->drained) st->drained = std::make_unique<net::steady_timer>(co_await net::this_coro::executor);
        net::co_spawn(co_await net::this_coro::executor, write_loop(st), net::detached);
    }
    while (st->writing && st->pending.size() > kHighWater && !st->gone) {
        st->drained->expires_after(std::chrono::hours(1));
        boost::system::error_code ec;
        co_await st->drained->async_wait(net::redirect_error(use_awaitable, ec));
    }
}

awaitable<void> SseSink::flush() {
    auto st = state_;
    while (st->writing) {
        st->drained->expires_after(std::chrono::hours(1));
        boost::system::error_code ec;
        co_await st->drained->async_wait(net::redirect_error(use_awaitable, ec));
    }
}

}  // namespace anyclaude::app
