// Builds the backend a Config asks for and runs the gateway's HTTP server: in the foreground
// (`anyclaude serve`, until SIGINT/SIGTERM) or on a background thread (the `claude` launcher).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "app/config.hpp"
#include "app/gateway.hpp"
#include "http/server.hpp"
#include "observe/engine_view.hpp"

namespace anyclaude::app {

// Reads a fleet's backends for the metrics (several backend URLs; empty otherwise).
using FleetFigures = std::function<std::vector<observe::FleetMemberFigures>()>;

// The backend for cfg; nullptr with *why set when cfg is unusable. In embedded mode *view (when
// given) gets the engine's figures for metrics and the status page; with several backend URLs
// *fleet (when given) gets the fleet's.
std::shared_ptr<backends::Backend> make_backend(const Config& cfg, std::string* why, observe::EngineView* view = nullptr,
                                                FleetFigures* fleet = nullptr);

// Checks the settings that must hold before listening (e.g. non-loopback binds need a key).
std::string check_bind_policy(const Config& cfg);

class RunningServer {
public:
    // Binds and starts serving on a background thread; throws std::runtime_error on failure.
    explicit RunningServer(const Config& cfg);
    ~RunningServer();
    unsigned short port() const { return server_->port(); }
    std::string base_url() const;
    void stop();

private:
    net::io_context ioc_{1};
    std::shared_ptr<backends::Backend> backend_;
    observe::EngineView view_;
    FleetFigures fleet_view_;
    std::shared_ptr<Gateway> gateway_;
    std::unique_ptr<http::Server> server_;
    std::thread thread_;
};

// `anyclaude serve`: runs until a signal arrives; returns the process exit code.
int serve_forever(const Config& cfg);

// Configures spdlog from cfg (level, optional file).
void setup_logging(const Config& cfg);

}  // namespace anyclaude::app
