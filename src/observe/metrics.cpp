// Prometheus metrics (see metrics.hpp). prometheus-cpp's counters and histograms are atomic and
// its Family::Add locks, so end() runs on the I/O thread without a lock of ours; render() holds
// one for the engine counters it carries over as deltas.
#include "observe/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <functional>
#include <map>
#include <set>

namespace anyclaude::observe {

namespace P = prometheus;

namespace {

// Keeps a label's value set bounded: the first `limit` values are kept, the rest become "other".
class Bounded {
public:
    explicit Bounded(std::size_t limit) : limit_(limit) {}
    std::string operator()(const std::string& v) {
        std::lock_guard lk(mu_);
        if (seen_.count(v) || seen_.size() < limit_) {
            seen_.insert(v);
            return v;
        }
        return "other";
    }

private:
    std::mutex mu_;
    std::set<std::string> seen_;
    std::size_t limit_;
};

const P::Histogram::BucketBoundaries kSeconds{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300};
const P::Histogram::BucketBoundaries kWait{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60};
const P::Histogram::BucketBoundaries kRate{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000};

// The Anthropic error types (ir/error.hpp); anything else is "other".
std::string error_kind(const std::string& type) {
    static const std::set<std::string> known = {"invalid_request_error", "authentication_error", "permission_error",
                                                "not_found_error", "request_too_large", "rate_limit_error",
                                                "api_error", "overloaded_error", "timeout_error"};
    return known.count(type) ? type : "other";
}

}  // namespace

struct Metrics::Impl {
    std::shared_ptr<P::Registry> reg = std::make_shared<P::Registry>();
    Bounded models{16}, statuses{16};
    P::Family<P::Counter>& requests = P::BuildCounter().Name("anyclaude_requests_total")
        .Help("Requests answered, by route, model served, backend and HTTP status").Register(*reg);
    P::Histogram& ttft = P::BuildHistogram().Name("anyclaude_time_to_first_token_seconds")
        .Help("Time from arrival to the first content block of a /v1/messages answer").Register(*reg).Add({}, kSeconds);
    P::Family<P::Histogram>& duration = P::BuildHistogram().Name("anyclaude_request_duration_seconds")
        .Help("Time from arrival to the end of the answer, by route").Register(*reg);
    P::Family<P::Counter>& reused = P::BuildCounter().Name("anyclaude_prompt_tokens_reused_total")
        .Help("Prompt tokens not computed, by the tier they came from (backend: an upstream server's cache)").Register(*reg);
    P::Counter& computed = P::BuildCounter().Name("anyclaude_prompt_tokens_computed_total")
        .Help("Prompt tokens computed (prefilled)").Register(*reg).Add({});
    P::Counter& generated = P::BuildCounter().Name("anyclaude_generated_tokens_total")
        .Help("Tokens generated").Register(*reg).Add({});
    P::Histogram& prefill = P::BuildHistogram().Name("anyclaude_prefill_tokens_per_second")
        .Help("Prefill speed of each request that computed prompt tokens (embedded engine)").Register(*reg).Add({}, kRate);
    P::Histogram& decode = P::BuildHistogram().Name("anyclaude_decode_tokens_per_second")
        .Help("Decode speed of each request that generated two tokens or more (embedded engine)").Register(*reg).Add({}, kRate);
    P::Histogram& queue_wait = P::BuildHistogram().Name("anyclaude_queue_wait_seconds")
        .Help("Time a request waited for a sequence (embedded engine)").Register(*reg).Add({}, kWait);
    P::Family<P::Counter>& backend_errors = P::BuildCounter().Name("anyclaude_backend_errors_total")
        .Help("Failures the backend returned, by Anthropic error type").Register(*reg);
    P::Counter& disconnects = P::BuildCounter().Name("anyclaude_client_disconnects_total")
        .Help("Requests whose client went away before the answer ended").Register(*reg).Add({});

    P::Gauge& in_flight = gauge("anyclaude_requests_in_flight", "Requests being answered now");
    P::Gauge* queue_depth = nullptr;  // the engine's figures are registered on the first scrape that has them
    P::Gauge *kv_cells = nullptr, *kv_used = nullptr, *busy = nullptr;
    P::Family<P::Gauge>* cache_bytes = nullptr;
    P::Family<P::Gauge>* cache_entries = nullptr;
    P::Family<P::Gauge>* cache_budget = nullptr;
    std::map<std::string, std::pair<P::Counter*, uint64_t>> carried;  // engine counter: (metric, last value)
    std::mutex render_mu;

    P::Gauge& gauge(const char* name, const char* help) {
        return P::BuildGauge().Name(name).Help(help).Register(*reg).Add({});
    }
    void carry(const char* name, const char* help, uint64_t now) {
        auto it = carried.find(name);
        if (it == carried.end())
            it = carried.emplace(name, std::make_pair(&P::BuildCounter().Name(name).Help(help).Register(*reg).Add({}), 0))
                     .first;
        if (now > it->second.second) it->second.first->Increment(static_cast<double>(now - it->second.second));
        it->second.second = now;
    }
    void engine_figures(const EngineFigures& e);
    void fleet_figures(const std::vector<FleetMemberFigures>& fleet);
};

// A fleet's backends: gauges set, the router's totals carried over as counter deltas.
void Metrics::Impl::fleet_figures(const std::vector<FleetMemberFigures>& fleet) {
    struct Gauge {
        const char* name;
        const char* help;
        std::function<double(const FleetMemberFigures&)> value;
    };
    static const std::vector<Gauge> gauges = {
        {"anyclaude_fleet_backend_healthy", "1 while the backend answers, 0 while it is ejected",
         [](const FleetMemberFigures& f) { return f.healthy ? 1.0 : 0.0; }},
        {"anyclaude_fleet_backend_in_flight", "Requests on the backend now",
         [](const FleetMemberFigures& f) { return static_cast<double>(f.in_flight); }},
        {"anyclaude_fleet_backend_pinned_conversations", "Conversations kept on the backend",
         [](const FleetMemberFigures& f) { return static_cast<double>(f.pinned); }},
    };
    struct Total {
        const char* name;
        const char* help;
        uint64_t FleetMemberFigures::*field;
    };
    static const std::vector<Total> totals = {
        {"anyclaude_fleet_backend_requests_total", "Requests routed to the backend", &FleetMemberFigures::requests},
        {"anyclaude_fleet_backend_failures_total", "Failed requests and health checks of the backend",
         &FleetMemberFigures::failures},
        {"anyclaude_fleet_backend_ejections_total", "Times the backend was ejected", &FleetMemberFigures::ejections},
        {"anyclaude_fleet_backend_moved_in_total", "Conversations moved to the backend from a failed one",
         &FleetMemberFigures::moved_in},
        {"anyclaude_fleet_backend_moved_out_total", "Conversations moved away from the backend",
         &FleetMemberFigures::moved_out},
    };
    for (std::size_t i = 0; i < fleet.size(); ++i) {
        const P::Labels labels = {{"backend", std::to_string(i)}, {"url", fleet[i].url}};
        for (const auto& g : gauges)
            P::BuildGauge().Name(g.name).Help(g.help).Register(*reg).Add(labels).Set(g.value(fleet[i]));
        for (const auto& t : totals) {
            auto& slot = carried[std::string(t.name) + "|" + std::to_string(i)];
            if (!slot.first) slot.first = &P::BuildCounter().Name(t.name).Help(t.help).Register(*reg).Add(labels);
            const uint64_t now = fleet[i].*t.field;
            if (now > slot.second) slot.first->Increment(static_cast<double>(now - slot.second));
            slot.second = now;
        }
    }
}

void Metrics::Impl::engine_figures(const EngineFigures& e) {
    if (!queue_depth) {
        queue_depth = &gauge("anyclaude_queue_depth", "Requests waiting for a sequence of the engine");
        kv_cells = &gauge("anyclaude_kv_cells", "KV cells of the engine's context (--ctx-size)");
        kv_used = &gauge("anyclaude_kv_cells_used", "Tokens the engine's sequences hold (a shared prefix counts per sequence)");
        busy = &gauge("anyclaude_sequences_busy", "Sequences serving a request now");
        cache_bytes = &P::BuildGauge().Name("anyclaude_cache_bytes").Help("Prompt cache size by tier").Register(*reg);
        cache_entries = &P::BuildGauge().Name("anyclaude_cache_entries").Help("Prompt cache snapshots by tier").Register(*reg);
        cache_budget = &P::BuildGauge().Name("anyclaude_cache_budget_bytes").Help("Prompt cache budget by tier").Register(*reg);
    }
    queue_depth->Set(static_cast<double>(e.queue_depth));
    kv_cells->Set(static_cast<double>(e.kv_cells));
    kv_used->Set(static_cast<double>(e.kv_cells_used));
    busy->Set(static_cast<double>(e.busy_sequences));
    cache_bytes->Add({{"tier", "ram"}}).Set(static_cast<double>(e.ram_bytes));
    cache_bytes->Add({{"tier", "disk"}}).Set(static_cast<double>(e.disk_bytes));
    cache_entries->Add({{"tier", "ram"}}).Set(static_cast<double>(e.ram_entries));
    cache_entries->Add({{"tier", "disk"}}).Set(static_cast<double>(e.disk_entries));
    cache_budget->Add({{"tier", "ram"}}).Set(static_cast<double>(e.ram_budget_bytes));
    cache_budget->Add({{"tier", "disk"}}).Set(static_cast<double>(e.disk_budget_bytes));
    carry("anyclaude_snapshots_total", "Snapshots of sequences taken into the RAM tier", e.snapshots);
    carry("anyclaude_cache_evictions_total", "Snapshots evicted from the RAM tier", e.ram_evictions);
    carry("anyclaude_disk_writes_total", "Snapshots written to the disk tier", e.disk_writes);
    carry("anyclaude_disk_write_failures_total", "Disk tier writes that failed", e.disk_write_failures);
    carry("anyclaude_disk_loads_total", "Snapshots loaded from the disk tier", e.disk_loads);
    carry("anyclaude_disk_rejected_total", "Disk tier files refused (format, model or checksum)", e.disk_rejected);
}

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

const prometheus::Registry& Metrics::registry() const { return *impl_->reg; }

void Metrics::end(const RequestSummary& s, const std::shared_ptr<void>&) {
    auto& m = *impl_;
    m.requests
        .Add({{"route", s.route}, {"model", m.models(s.model_served)}, {"backend", s.backend},
              {"status", m.statuses(std::to_string(s.status))}})
        .Increment();
    m.duration.Add({{"route", s.route}}, kSeconds).Observe(s.total_ms / 1000.0);
    if (s.client_disconnect) m.disconnects.Increment();
    // A failure before the answer began (the gateway's note) or an error event after it had.
    const std::string& kind = !s.backend_error.empty() ? s.backend_error : s.stream ? s.error_type : s.backend_error;
    if (!kind.empty()) m.backend_errors.Add({{"kind", error_kind(kind)}}).Increment();
    if (s.route != "messages") return;
    if (s.ttft_ms) m.ttft.Observe(*s.ttft_ms / 1000.0);
    const int64_t prompt = s.usage.prompt_tokens();
    const int64_t reused = s.tier.empty() ? s.usage.cache_read_input_tokens : s.reused_tokens;
    if (reused > 0) m.reused.Add({{"tier", s.tier.empty() ? "backend" : s.tier}}).Increment(static_cast<double>(reused));
    if (prompt > reused) m.computed.Increment(static_cast<double>(prompt - reused));
    m.generated.Increment(static_cast<double>(s.usage.output_tokens));
    if (s.prefill_tps && *s.prefill_tps > 0) m.prefill.Observe(*s.prefill_tps);
    if (s.decode_tps && *s.decode_tps > 0) m.decode.Observe(*s.decode_tps);
    if (s.queue_wait_ms) m.queue_wait.Observe(*s.queue_wait_ms / 1000.0);
}

std::string Metrics::render(const GatewayFigures& g) {
    auto& m = *impl_;
    std::lock_guard lk(m.render_mu);
    m.in_flight.Set(static_cast<double>(g.in_flight));
    if (g.engine) m.engine_figures(*g.engine);
    if (!g.fleet.empty()) m.fleet_figures(g.fleet);
    return P::TextSerializer().Serialize(m.reg->Collect());
}

}  // namespace anyclaude::observe
