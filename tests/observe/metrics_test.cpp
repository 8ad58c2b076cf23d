// /metrics' names, types and label sets (observe/metrics.hpp's table), read back from
// prometheus-cpp's own registry after known requests, plus the figures they carry.
#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include <map>
#include <set>

#include "observe/metrics.hpp"

using namespace anyclaude::observe;
namespace P = prometheus;

namespace {

RequestSummary messages_request(const std::string& model, const std::string& tier, int64_t reused) {
    RequestSummary s;
    s.route = "messages";
    s.model_served = model;
    s.backend = "embedded";
    s.status = 200;
    s.total_ms = 250;
    s.ttft_ms = 120;
    s.usage_object.emplace();
    s.usage.input_tokens = 30;
    s.usage.cache_read_input_tokens = reused;
    s.usage.output_tokens = 7;
    s.tier = tier;
    s.reused_tokens = reused;
    s.prefill_tps = 900;
    s.decode_tps = 40;
    s.queue_wait_ms = 3;
    return s;
}

EngineFigures engine_figures() {
    EngineFigures e;
    e.kv_cells = 4096;
    e.kv_cells_used = 1000;
    e.ram_bytes = 5 << 20;
    e.ram_entries = 2;
    e.disk_writes = 3;
    e.snapshots = 4;
    return e;
}

std::map<std::string, const P::MetricFamily*> by_name(const std::vector<P::MetricFamily>& fams) {
    std::map<std::string, const P::MetricFamily*> out;
    for (const auto& f : fams) out[f.name] = &f;
    return out;
}

std::set<std::string> label_names(const P::MetricFamily& f) {
    std::set<std::string> out;
    for (const auto& m : f.metric)
        for (const auto& l : m.label) out.insert(l.name);
    return out;
}

}  // namespace

// Every family: its type and the label names its series carry (none where the set is empty).
TEST(Metrics, NamesTypesAndLabelSets) {
    Metrics m;
    m.end(messages_request("main-model", "live", 100), nullptr);
    RequestSummary err;
    err.route = "messages";
    err.status = 500;
    err.backend_error = "api_error";
    err.client_disconnect = true;
    m.end(err, nullptr);
    GatewayFigures g;
    g.in_flight = 2;
    g.engine = engine_figures();
    m.render(g);

    struct Want {
        const char* name;
        P::MetricType type;
        std::set<std::string> labels;
    };
    const Want want[] = {
        {"anyclaude_requests_total", P::MetricType::Counter, {"route", "model", "backend", "status"}},
        {"anyclaude_time_to_first_token_seconds", P::MetricType::Histogram, {}},
        {"anyclaude_request_duration_seconds", P::MetricType::Histogram, {"route"}},
        {"anyclaude_prompt_tokens_reused_total", P::MetricType::Counter, {"tier"}},
        {"anyclaude_prompt_tokens_computed_total", P::MetricType::Counter, {}},
        {"anyclaude_generated_tokens_total", P::MetricType::Counter, {}},
        {"anyclaude_prefill_tokens_per_second", P::MetricType::Histogram, {}},
        {"anyclaude_decode_tokens_per_second", P::MetricType::Histogram, {}},
        {"anyclaude_queue_wait_seconds", P::MetricType::Histogram, {}},
        {"anyclaude_backend_errors_total", P::MetricType::Counter, {"kind"}},
        {"anyclaude_client_disconnects_total", P::MetricType::Counter, {}},
        {"anyclaude_requests_in_flight", P::MetricType::Gauge, {}},
        {"anyclaude_queue_depth", P::MetricType::Gauge, {}},
        {"anyclaude_kv_cells", P::MetricType::Gauge, {}},
        {"anyclaude_kv_cells_used", P::MetricType::Gauge, {}},
        {"anyclaude_sequences_busy", P::MetricType::Gauge, {}},
        {"anyclaude_cache_bytes", P::MetricType::Gauge, {"tier"}},
        {"anyclaude_cache_entries", P::MetricType::Gauge, {"tier"}},
        {"anyclaude_cache_budget_bytes", P::MetricType::Gauge, {"tier"}},
        {"anyclaude_snapshots_total", P::MetricType::Counter, {}},
        {"anyclaude_cache_evictions_total", P::MetricType::Counter, {}},
        {"anyclaude_disk_writes_total", P::MetricType::Counter, {}},
        {"anyclaude_disk_write_failures_total", P::MetricType::Counter, {}},
        {"anyclaude_disk_loads_total", P::MetricType::Counter, {}},
        {"anyclaude_disk_rejected_total", P::MetricType::Counter, {}},
    };
    const auto fams = m.registry().Collect();
    auto got = by_name(fams);
    EXPECT_EQ(got.size(), std::size(want)) << "a family was added or removed: update this table and the README";
    for (const auto& w : want) {
        ASSERT_TRUE(got.count(w.name)) << w.name;
        EXPECT_EQ(got[w.name]->type, w.type) << w.name;
        EXPECT_EQ(label_names(*got[w.name]), w.labels) << w.name;
    }
    // Conventions: the prefix, counters end in _total, durations in _seconds, sizes in _bytes.
    for (const auto& [name, f] : got) {
        EXPECT_EQ(name.rfind("anyclaude_", 0), 0u) << name;
        const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
        EXPECT_EQ(total, f->type == P::MetricType::Counter) << name;
    }
}

TEST(Metrics, ModelAndStatusLabelsStayBounded) {
    Metrics m;
    for (int i = 0; i < 40; ++i) {
        auto s = messages_request("model-" + std::to_string(i), "none", 0);
        s.status = 200 + static_cast<unsigned>(i);
        m.end(s, nullptr);
    }
    std::set<std::string> models, statuses;
    for (const auto& f : m.registry().Collect())
        if (f.name == "anyclaude_requests_total")
            for (const auto& series : f.metric)
                for (const auto& l : series.label) {
                    if (l.name == "model") models.insert(l.value);
                    if (l.name == "status") statuses.insert(l.value);
                }
    EXPECT_EQ(models.size(), 17u);  // 16 kept + "other"
    EXPECT_TRUE(models.count("other"));
    EXPECT_EQ(statuses.size(), 17u);
}

// The figures: tokens split by tier, computed = prompt - reused, engine counters carried over as
// deltas (a second scrape with the same figures adds nothing), the exposition's text form.
TEST(Metrics, FiguresAddUp) {
    Metrics m;
    m.end(messages_request("m", "live", 100), nullptr);
    m.end(messages_request("m", "ram", 50), nullptr);
    auto upstream = messages_request("m", "", 20);  // an upstream server's cache_read
    m.end(upstream, nullptr);
    GatewayFigures g;
    g.engine = engine_figures();
    m.render(g);
    const std::string text = m.render(g);
    EXPECT_NE(text.find("anyclaude_prompt_tokens_reused_total{tier=\"live\"} 100"), std::string::npos) << text;
    EXPECT_NE(text.find("anyclaude_prompt_tokens_reused_total{tier=\"ram\"} 50"), std::string::npos);
    EXPECT_NE(text.find("anyclaude_prompt_tokens_reused_total{tier=\"backend\"} 20"), std::string::npos);
    EXPECT_NE(text.find("anyclaude_prompt_tokens_computed_total 90"), std::string::npos);  // 3 x 30
    EXPECT_NE(text.find("anyclaude_generated_tokens_total 21"), std::string::npos);
    EXPECT_NE(text.find("anyclaude_time_to_first_token_seconds_count 3"), std::string::npos);
    EXPECT_NE(text.find("anyclaude_disk_writes_total 3"), std::string::npos);  // twice scraped, counted once
    EXPECT_NE(text.find("anyclaude_kv_cells_used 1000"), std::string::npos);
    EXPECT_NE(text.find("# TYPE anyclaude_requests_total counter"), std::string::npos);
}
