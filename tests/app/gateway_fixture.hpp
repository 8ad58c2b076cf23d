// The whole gateway on loopback for the tests of tests/app: a scripted OpenAI-compatible
// upstream (the only test double) and anyclaude in front of it, in openai mode.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/server_runner.hpp"
#include "support/loopback.hpp"

namespace anyclaude::test {

struct GatewayFixture {
    IoThread upstream_io;
    ScriptedUpstream upstream{upstream_io.executor()};
    std::unique_ptr<app::RunningServer> gateway;

    explicit GatewayFixture(const std::function<void(app::Config&)>& tweak = {}) {
        app::Config cfg;
        cfg.mode = "openai";
        cfg.port = 0;
        cfg.backend_url = upstream.base_url();
        cfg.model = "main-model";
        cfg.small_model = "small-model";
        cfg.log_level = "warn";
        if (tweak) tweak(cfg);
        gateway = std::make_unique<app::RunningServer>(cfg);
    }
    unsigned short port() const { return gateway->port(); }
    // POST with Claude Code's anthropic-version header.
    SimpleResponse post(const std::string& body, std::vector<std::pair<std::string, std::string>> h = {},
                        const std::string& target = "/v1/messages?beta=true") {
        h.push_back({"anthropic-version", "2023-06-01"});
        return http_request(port(), "POST", target, body, h);
    }
};

}  // namespace anyclaude::test
