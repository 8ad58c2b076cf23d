// GET /metrics: Prometheus text format through prometheus-cpp's registry and TextSerializer (no
// hand-written exposition). Per-request metrics are fed by each finished RequestSummary (a
// Consumer of the Observer); the gauges and the engine's own counters are read at scrape time.
//
// Names (all prefixed anyclaude_; labels bounded: route is one of a fixed set, model and status
// keep their first 16 values and fold the rest into "other", tier and kind are fixed sets):
//   requests_total{route,model,backend,status}          counter
//   time_to_first_token_seconds                          histogram (streamed and whole answers)
//   request_duration_seconds{route}                      histogram
//   prompt_tokens_reused_total{tier=live|ram|disk|backend} counter (backend: an upstream's cache_read)
//   prompt_tokens_computed_total, generated_tokens_total counters
//   prefill_tokens_per_second, decode_tokens_per_second  histograms (embedded)
//   queue_wait_seconds                                   histogram (embedded)
//   backend_errors_total{kind}                           counter (the Anthropic error type)
//   client_disconnects_total                             counter
//   requests_in_flight, queue_depth, kv_cells, kv_cells_used, sequences_busy   gauges
//   cache_bytes{tier=ram|disk}, cache_entries{tier}, cache_budget_bytes{tier}   gauges
//   snapshots_total, cache_evictions_total, disk_writes_total, disk_write_failures_total,
//   disk_loads_total, disk_rejected_total                counters (the engine's, at scrape)
//   fleet_backend_healthy, fleet_backend_in_flight, fleet_backend_pinned_conversations   gauges
//   fleet_backend_requests_total, fleet_backend_failures_total, fleet_backend_ejections_total,
//   fleet_backend_moved_in_total, fleet_backend_moved_out_total   counters
//     (several backends only; labels backend = its index and url: the configured list, bounded)
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "observe/figures.hpp"
#include "observe/observer.hpp"

namespace prometheus {
class Registry;
}

namespace anyclaude::observe {

class Metrics final : public Consumer {
public:
    Metrics();
    ~Metrics() override;
    void end(const RequestSummary& s, const std::shared_ptr<void>&) override;
    // Updates the scrape-time figures and returns the exposition text.
    std::string render(const GatewayFigures& g);
    const prometheus::Registry& registry() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace anyclaude::observe
