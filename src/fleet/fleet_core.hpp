// What a FleetBackend shares with its background health checks: the router, each backend's
// address, and a count of ejections by health check per backend (requests waiting on a backend
// watch it to be cut off). Owned through a shared_ptr by the backend and by each check loop, so
// that neither outlives the other's data. One I/O thread uses it.
#pragma once

#include <chrono>
#include <vector>

#include "fleet/fleet_backend.hpp"
#include "http/url.hpp"

namespace anyclaude::fleet {

struct Target {
    http::Url url;
    std::string api_key;
};

struct FleetBackend::Core {
    Core(std::vector<Member> members, FleetOptions opt)
        : router(std::move(members), opt.router), options(opt), check_ejections(router.size(), 0) {}

    // How often a waiting request looks whether its backend was ejected.
    std::chrono::milliseconds watch_period() const {
        return std::min(options.health_interval, std::chrono::milliseconds(250));
    }

    Router router;
    FleetOptions options;
    std::vector<Target> targets;
    std::vector<uint64_t> check_ejections;
    bool started = false;
    bool stopping = false;
};

// One backend's check loop: GET <url>/models every health_interval until core->stopping.
awaitable<void> check_loop(std::shared_ptr<FleetBackend::Core> core, int i);

}  // namespace anyclaude::fleet
