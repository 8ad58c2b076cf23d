// Plain figures the metrics and the status page read at scrape time: the gateway's counters and,
// in embedded mode, the engine's (copied from engine::EngineStats by engine_view.hpp, so this
// module's metrics and tests need no engine).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace anyclaude::observe {

struct EngineFigures {
    uint64_t kv_cells = 0, kv_cells_used = 0, queue_depth = 0, busy_sequences = 0, sequences = 0;
    uint64_t snapshots = 0, ram_evictions = 0, disk_writes = 0, disk_write_failures = 0, disk_loads = 0,
             disk_rejected = 0;
    uint64_t ram_bytes = 0, ram_entries = 0, ram_budget_bytes = 0;
    uint64_t disk_bytes = 0, disk_entries = 0, disk_budget_bytes = 0;
};

struct SequenceFigures {
    int seq = 0;
    uint64_t tokens = 0;
    bool busy = false;
    std::string role;        // main | subagent | side
    std::string message_id;  // the last request it served
    int64_t last_used_epoch_ms = 0;
};

// One server of a fleet (several backend URLs, src/fleet/), as its router sees it.
struct FleetMemberFigures {
    std::string url;
    bool healthy = true;
    uint64_t in_flight = 0, pinned = 0;
    uint64_t requests = 0, failures = 0, ejections = 0, moved_in = 0, moved_out = 0;
};

struct GatewayFigures {
    uint64_t in_flight = 0;
    std::optional<EngineFigures> engine;  // embedded mode only
    std::vector<FleetMemberFigures> fleet;  // several backends only
};

}  // namespace anyclaude::observe
