// Several OpenAI-compatible servers behind one gateway: a Backend over UpstreamBackends that keeps
// each conversation on one of them (its prompt cache lives there) and moves it when that one dies.
//
// Routing (router.hpp): a conversation turn goes where its key (ir/conversation_key.hpp) is
// pinned, else to its place on the hash ring, bounded by load. Subagents follow the same rule
// with their own key (their own system prompt and first message), so a fan-out of subagents
// spreads over the fleet while each stays put. Side requests (ir::is_side_request: titles) go
// to the least loaded backend: they share no prefix worth keeping. A member that lists models
// only gets requests for those. count_tokens goes where the conversation would (same tokenizer).
//
// Failures: a request that fails before anything reached the client (Backend::generate returned
// an error) because the backend is down (unreachable, 5xx) is tried once more on the next healthy
// backend; after the first byte nothing is retried. A failed request ejects its backend
// (passive); each backend's health is also checked in the background (GET <url>/models, short
// timeouts, every health_interval): checks_to_eject failures in a row eject it, one answer brings
// it back. When a backend is ejected by its checks, requests still waiting on it are cut off:
// retried elsewhere if nothing was sent yet, else ended with an error event (the next turn goes
// to another backend). Every move of a pinned conversation is logged and counted.
// Everything runs on the gateway's one I/O thread (the router is not locked). The health checks
// start with the first request or status call (they need the I/O loop's executor).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/upstream_backend.hpp"
#include "fleet/router.hpp"

namespace anyclaude::fleet {

struct FleetMember {
    std::shared_ptr<backends::UpstreamBackend> backend;
    int weight = 1;
    std::vector<std::string> models;  // models it serves ("" / empty: all)
};

struct FleetOptions {
    RouterOptions router;
    std::chrono::milliseconds health_interval{3000};
    http::ClientTimeouts health_timeouts{std::chrono::milliseconds(1000), std::chrono::milliseconds(2000),
                                         std::chrono::milliseconds(2000)};
};

class FleetBackend final : public backends::Backend {
public:
    FleetBackend(std::vector<FleetMember> members, FleetOptions opt);
    ~FleetBackend() override;

    awaitable<std::optional<ir::ApiError>> generate(const ir::Request& req, backends::EventSink& sink) override;
    awaitable<ir::Result<int64_t>> count_tokens(const ir::Request& req) override;
    std::vector<backends::ModelInfo> models() const override;
    std::string describe() const override;
    awaitable<backends::BackendStatus> status() override;
    backends::ContextWindow window() const override;
    bool serves(const std::string& model_id) const override;
    std::string count_tokens_method() const override;
    std::string fleet_json() const override;
    void stop() override;

    // Each backend as the router sees it now (for /health and the metrics; on the I/O thread).
    struct Report {
        std::string url;
        int weight = 1;
        MemberState state;
    };
    std::vector<Report> report() const;
    uint64_t moves() const;

    struct Core;  // the router and what the health checks share (fleet_backend.cpp)

private:
    struct Outcome;
    awaitable<void> start_checks();
    awaitable<Outcome> attempt(int i, const ir::Request& req, backends::EventSink& sink, uint64_t key);
    std::vector<bool> allowed_for(const ir::Request& req) const;
    Pick route(const ir::Request& req, uint64_t key, int avoid);
    void backend_failed(int i, const std::string& why);

    std::vector<FleetMember> members_;
    std::shared_ptr<Core> core_;
};

}  // namespace anyclaude::fleet
