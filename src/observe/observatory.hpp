// Everything a person can see of a running gateway, in one place the gateway holds: the
// observation point's consumers (metrics, request log, sessions, and the recorder when
// --record is set), the engine's view, and the two answers built from them: /metrics (Prometheus
// text) and /status.json (the status page's and `anyclaude status`'s data).
//
// /status.json (format 1):
//   {"format":1, "gateway":{"version","mode","backend","model","context_window"|null,"window_source",
//    "requests","in_flight","uptime_s"}, "engine":{EngineFigures fields}|null,
//    "sequences":[{"seq","tokens","busy","role","message_id","last_used_epoch_ms"}],
//    "sessions":[SessionBook::json], "requests":[request-log lines, newest last (up to 100)]}
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "observe/engine_view.hpp"
#include "observe/metrics.hpp"
#include "observe/request_log.hpp"
#include "observe/sessions.hpp"

namespace anyclaude::observe {

struct GatewayInfo {
    std::string version, mode, backend, model, window_source;
    std::optional<int64_t> context_window;
    uint64_t requests = 0, in_flight = 0;
};

struct ObservatoryOptions {
    bool metrics = true;           // --metrics (off: /metrics answers 404, nothing is counted)
    std::string request_log;       // --request-log FILE ("" none)
    EngineView engine;             // embedded mode
    std::function<std::vector<FleetMemberFigures>()> fleet;  // several backends (read on the I/O thread)
    std::shared_ptr<Consumer> recorder;  // --record
};

class Observatory {
public:
    // nullptr with *why when the request log cannot be opened.
    static std::shared_ptr<Observatory> open(ObservatoryOptions opt, std::string* why);
    // inner with the observation point around it (inner itself when nothing observes).
    http::Handler wrap(http::Handler inner) const;
    bool metrics_on() const { return metrics_ != nullptr; }
    bool observing() const { return !consumers_.empty(); }
    std::string metrics_text(uint64_t in_flight) const;
    std::string status_json(const GatewayInfo& g) const;

private:
    ObservatoryOptions opt_;
    std::shared_ptr<Metrics> metrics_;
    std::shared_ptr<RequestLog> log_;
    std::shared_ptr<SessionBook> sessions_;
    std::vector<std::shared_ptr<Consumer>> consumers_;
    Clock::time_point started_ = Clock::now();
};

}  // namespace anyclaude::observe
