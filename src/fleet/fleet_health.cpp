// The fleet's active health checks (see fleet_core.hpp and fleet_backend.hpp).
#include <spdlog/spdlog.h>

#include "fleet/fleet_core.hpp"
#include "http/client.hpp"

namespace anyclaude::fleet {

namespace {

// Alive: any HTTP answer below 500 (a server without /models still answers 404); a refused
// connection, a timeout or a 5xx is not.
awaitable<std::pair<bool, std::string>> probe(const Target& t, const http::ClientTimeouts& timeouts) {
    http::OutgoingRequest req;
    req.method = bhttp::verb::get;
    req.path = "/models";
    if (!t.api_key.empty()) req.headers.push_back({"Authorization", "Bearer " + t.api_key});
    auto sent = co_await http::send_request(t.url, req, timeouts, nullptr);
    if (!sent.response) co_return std::pair<bool, std::string>{false, sent.error};
    const unsigned status = sent.response->status();
    co_await sent.response->read_all(64 * 1024);
    if (status >= 500) co_return std::pair<bool, std::string>{false, "/models answered " + std::to_string(status)};
    co_return std::pair<bool, std::string>{true, {}};
}

}  // namespace

awaitable<void> check_loop(std::shared_ptr<FleetBackend::Core> core, int i) {
    net::steady_timer timer(co_await net::this_coro::executor);
    const auto& target = core->targets[static_cast<std::size_t>(i)];
    while (!core->stopping) {
        auto [ok, why] = co_await probe(target, core->options.health_timeouts);
        if (core->stopping) break;
        const bool was_healthy = core->router.state(i).healthy;
        if (core->router.check_result(i, ok, Clock::now())) {
            if (was_healthy) {
                ++core->check_ejections[static_cast<std::size_t>(i)];
                spdlog::warn("fleet: backend {} ejected: {} health checks failed ({})", target.url.to_string(),
                             core->options.router.checks_to_eject, why);
            } else {
                spdlog::info("fleet: backend {} is back (it answered a health check)", target.url.to_string());
            }
        }
        timer.expires_after(core->options.health_interval);
        co_await timer.async_wait(use_awaitable);
    }
}

}  // namespace anyclaude::fleet
