// Pings until the first content block (see ping_sink.hpp).
#include "app/ping_sink.hpp"

namespace anyclaude::app {

awaitable<void> PingingSink::emit(const ir::Event& ev) {
    if (std::holds_alternative<ir::MessageStart>(ev)) started_ = true;
    if (std::holds_alternative<ir::BlockStart>(ev)) first_block_ = true;
    last_ = Clock::now();
    co_await inner_.emit(ev);
}

awaitable<void> PingingSink::run() {
    net::steady_timer timer(co_await net::this_coro::executor);
    for (;;) {
        // Before message_start: look again in an interval. After the first block nothing more is
        // due; the caller cancels this wait.
        if (first_block_)
            timer.expires_after(std::chrono::hours(24));
        else if (!started_)
            timer.expires_after(interval_);
        else
            timer.expires_at(last_ + interval_);
        boost::system::error_code ec;
        co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
        if (ec) co_return;  // cancelled: the request is over
        if (started_ && !first_block_ && Clock::now() - last_ >= interval_) co_await emit(ir::Ping{});
    }
}

}  // namespace anyclaude::app
