// The gateway's observation state and its two answers (see observatory.hpp).
#include "observe/observatory.hpp"

namespace anyclaude::observe {

std::shared_ptr<Observatory> Observatory::open(ObservatoryOptions opt, std::string* why) {
    auto o = std::make_shared<Observatory>();
    if (opt.recorder) o->consumers_.push_back(opt.recorder);
    // The status page's lists come with the metrics or the request log; with both off (the
    // overhead benchmark's baseline) nothing observes requests.
    if (opt.metrics || !opt.request_log.empty()) {
        o->log_ = RequestLog::open(opt.request_log, why);
        if (!o->log_) return nullptr;
        o->sessions_ = std::make_shared<SessionBook>();
        o->consumers_.push_back(o->log_);
        o->consumers_.push_back(o->sessions_);
    }
    if (opt.metrics) {
        o->metrics_ = std::make_shared<Metrics>();
        o->consumers_.push_back(o->metrics_);
    }
    o->opt_ = std::move(opt);
    return o;
}

http::Handler Observatory::wrap(http::Handler inner) const {
    if (consumers_.empty()) return inner;
    return Observer(consumers_, opt_.engine ? opt_.engine.enrich : Enricher{}).wrap(std::move(inner));
}

std::string Observatory::metrics_text(uint64_t in_flight) const {
    GatewayFigures g;
    g.in_flight = in_flight;
    if (opt_.engine) g.engine = opt_.engine.figures();
    if (opt_.fleet) g.fleet = opt_.fleet();
    return metrics_->render(g);
}

namespace {

void engine_json(json::Writer& j, const EngineFigures& e) {
    j.begin_object();
    const std::pair<const char*, uint64_t> fields[] = {
        {"kv_cells", e.kv_cells}, {"kv_cells_used", e.kv_cells_used}, {"queue_depth", e.queue_depth},
        {"busy_sequences", e.busy_sequences}, {"sequences", e.sequences}, {"snapshots", e.snapshots},
        {"ram_evictions", e.ram_evictions}, {"disk_writes", e.disk_writes},
        {"disk_write_failures", e.disk_write_failures}, {"ram_bytes", e.ram_bytes}, {"ram_entries", e.ram_entries},
        {"ram_budget_bytes", e.ram_budget_bytes}, {"disk_bytes", e.disk_bytes}, {"disk_entries", e.disk_entries},
        {"disk_budget_bytes", e.disk_budget_bytes}};
    for (const auto& [k, v] : fields) j.key(k).value(static_cast<int64_t>(v));
    j.end_object();
}

void gateway_json(json::Writer& j, const GatewayInfo& g, double uptime_s) {
    j.begin_object();
    j.key("version").value(g.version);
    j.key("mode").value(g.mode);
    j.key("backend").value(g.backend);
    j.key("model").value(g.model);
    j.key("context_window");
    if (g.context_window) j.value(*g.context_window); else j.null();
    j.key("window_source").value(g.window_source);
    j.key("requests").value(static_cast<int64_t>(g.requests));
    j.key("in_flight").value(static_cast<int64_t>(g.in_flight));
    j.key("uptime_s").value(uptime_s);
    j.end_object();
}

}  // namespace

std::string Observatory::status_json(const GatewayInfo& g) const {
    std::vector<SequenceFigures> seqs;
    if (opt_.engine) seqs = opt_.engine.sequences();
    std::string out;
    json::Writer j(out);
    j.begin_object();
    j.key("format").value(1);
    j.key("gateway");
    gateway_json(j, g, std::chrono::duration<double>(Clock::now() - started_).count());
    j.key("engine");
    if (opt_.engine) engine_json(j, opt_.engine.figures()); else j.null();
    j.key("sequences").begin_array();
    for (const auto& q : seqs) {
        j.begin_object();
        j.key("seq").value(q.seq);
        j.key("tokens").value(static_cast<int64_t>(q.tokens));
        j.key("busy").value(q.busy);
        j.key("role").value(q.role);
        j.key("message_id").value(q.message_id);
        j.key("last_used_epoch_ms").value(q.last_used_epoch_ms);
        j.end_object();
    }
    j.end_array();
    j.key("sessions").raw(sessions_ ? sessions_->json(seqs, static_cast<bool>(opt_.engine)) : "[]");
    j.key("requests").begin_array();
    if (log_)
        for (const auto& line : log_->recent(100)) j.raw(line);
    j.end_array();
    j.end_object();
    return out;
}

}  // namespace anyclaude::observe
