// The engine's figures for metrics and the status page (see engine_view.hpp).
#include "observe/engine_view.hpp"

#ifdef ANYCLAUDE_HAVE_ENGINE
#include "engine/engine.hpp"
#endif

namespace anyclaude::observe {

#ifdef ANYCLAUDE_HAVE_ENGINE
namespace {

EngineFigures figures_of(const engine::EngineStats& s, uint64_t ram_budget, uint64_t disk_budget, std::size_t n_seq) {
    EngineFigures f;
    f.kv_cells = s.kv_cells;
    f.kv_cells_used = s.kv_cells_used;
    f.queue_depth = s.queue_depth;
    f.busy_sequences = s.busy_sequences;
    f.sequences = n_seq;
    f.snapshots = s.snapshots_taken;
    f.ram_evictions = s.cache.ram_evictions;
    f.disk_writes = s.cache.disk_writes;
    f.disk_write_failures = s.cache.disk_write_failures;
    f.disk_loads = s.cache.disk_loads;
    f.disk_rejected = s.cache.disk_rejected;
    f.ram_bytes = s.cache.ram_bytes;
    f.ram_entries = s.cache.ram_snapshots;
    f.ram_budget_bytes = ram_budget;
    f.disk_bytes = s.cache.disk_bytes;
    f.disk_entries = s.cache.disk_files;
    f.disk_budget_bytes = disk_budget;
    return f;
}

const char* role_name(engine::SeqRole r) {
    switch (r) {
        case engine::SeqRole::side: return "side";
        case engine::SeqRole::subagent: return "subagent";
        case engine::SeqRole::main: return "main";
    }
    return "main";
}

}  // namespace

EngineView engine_view(std::shared_ptr<engine::Engine> eng, uint64_t ram_budget, uint64_t disk_budget) {
    if (!eng) return {};
    EngineView v;
    v.figures = [eng, ram_budget, disk_budget] {
        return figures_of(eng->stats(), ram_budget, disk_budget, eng->sequences().size());
    };
    v.sequences = [eng] {
        std::vector<SequenceFigures> out;
        for (const auto& q : eng->sequences())
            out.push_back({q.seq, q.tokens, q.busy, role_name(q.role), q.message_id, q.last_used_epoch_ms});
        return out;
    };
    v.enrich = [eng](RequestSummary& s) {
        if (s.message_id.empty()) return;
        auto f = eng->job_facts(s.message_id);
        if (!f) return;
        s.tier = engine::to_string(f->reused_from);
        s.reused_tokens = static_cast<int64_t>(f->reused_tokens);
        s.queue_wait_ms = f->queue_wait_ms;
        if (f->prefill_tps > 0) s.prefill_tps = f->prefill_tps;
        if (f->decode_tps > 0) s.decode_tps = f->decode_tps;
    };
    return v;
}
#else
EngineView engine_view(std::shared_ptr<engine::Engine>, uint64_t, uint64_t) { return {}; }
#endif

}  // namespace anyclaude::observe
