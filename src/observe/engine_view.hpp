// What the observation code reads from the embedded engine, as plain figures (figures.hpp):
// its counters and sequences at scrape time, and each finished request's facts (the tier it
// reused from, queue wait, prefill and decode speed), looked up by the message id it answered.
// All of it goes through Engine's locked accessors (stats, sequences, job_facts), so it is safe
// from the I/O thread while the engine thread runs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "observe/figures.hpp"
#include "observe/observer.hpp"

namespace anyclaude::engine {
class Engine;
}

namespace anyclaude::observe {

struct EngineView {
    std::function<EngineFigures()> figures;
    std::function<std::vector<SequenceFigures>()> sequences;
    Enricher enrich;
    explicit operator bool() const { return static_cast<bool>(figures); }
};

// The view of an engine (empty when engine is null or this build has none). The budgets are
// the configured ones (the engine reports use, not limits).
EngineView engine_view(std::shared_ptr<engine::Engine> engine, uint64_t ram_budget_bytes, uint64_t disk_budget_bytes);

}  // namespace anyclaude::observe
