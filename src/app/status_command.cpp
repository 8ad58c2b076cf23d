// `anyclaude status` (see status_command.hpp): formatting is a pure function of the JSON.
#include "app/status_command.hpp"

#include <cstdio>

#include "common/json.hpp"
#include "http/client.hpp"

namespace anyclaude::app {

namespace {

std::string text(const json::bj::object& o, const char* k) {
    const auto* s = json::find_string(o, k);
    return s ? std::string(*s) : std::string();
}
int64_t num(const json::bj::object& o, const char* k) {
    auto v = json::find_number(o, k);
    return v ? static_cast<int64_t>(*v) : 0;
}
std::string fmt(const char* f, auto... args) {
    char buf[512];
    std::snprintf(buf, sizeof buf, f, args...);
    return buf;
}
double mib(int64_t b) { return static_cast<double>(b) / (1 << 20); }

std::string header(const json::bj::object& d) {
    std::string out;
    const auto* g = json::find_object(d, "gateway");
    if (!g) return out;
    const auto window = json::find_int(*g, "context_window");
    out += fmt("anyclaude %s: %s, model %s, window %s\n", text(*g, "version").c_str(), text(*g, "backend").c_str(),
               text(*g, "model").empty() ? "(backend default)" : text(*g, "model").c_str(),
               window ? (std::to_string(*window) + " tokens").c_str() : "not known yet");
    out += fmt("requests %lld, in flight %lld", (long long)num(*g, "requests"), (long long)num(*g, "in_flight"));
    if (const auto* e = json::find_object(d, "engine")) {
        out += fmt(", queued %lld; KV %lld/%lld cells; RAM tier %.1f/%.0f MiB (%lld snapshots); disk tier %.1f/%.0f MiB (%lld files)",
                   (long long)num(*e, "queue_depth"), (long long)num(*e, "kv_cells_used"), (long long)num(*e, "kv_cells"),
                   mib(num(*e, "ram_bytes")), mib(num(*e, "ram_budget_bytes")), (long long)num(*e, "ram_entries"),
                   mib(num(*e, "disk_bytes")), mib(num(*e, "disk_budget_bytes")), (long long)num(*e, "disk_entries"));
    }
    return out + "\n";
}

std::string sessions(const json::bj::object& d) {
    const auto* a = json::find_array(d, "sessions");
    if (!a || a->empty()) return "\nno sessions yet\n";
    std::string out = fmt("\n%-38s %5s %7s %6s %-5s %s\n", "session", "turns", "tokens", "cached", "tier", "held in");
    for (const auto& v : *a) {
        if (!v.is_object()) continue;
        const auto& s = v.get_object();
        const int64_t p = num(s, "prompt_tokens"), c = num(s, "cached_tokens");
        out += fmt("%-38s %5lld %7lld %5.0f%% %-5s %s\n", text(s, "key").substr(0, 38).c_str(), (long long)num(s, "turns"),
                   (long long)p, p ? 100.0 * c / p : 0.0, text(s, "tier").c_str(), text(s, "held").c_str());
    }
    return out;
}

std::string requests(const json::bj::object& d) {
    const auto* a = json::find_array(d, "requests");
    if (!a || a->empty()) return "\nno requests yet\n";
    std::string out = fmt("\n%-8s %-12s %-14s %6s %-10s %8s %8s %7s %6s %-5s %5s\n", "time", "route", "session", "status",
                          "stop", "ttft_ms", "total_ms", "prompt", "cached", "tier", "out");
    const std::size_t from = a->size() > 15 ? a->size() - 15 : 0;
    for (std::size_t i = from; i < a->size(); ++i) {
        if (!(*a)[i].is_object()) continue;
        const auto& r = (*a)[i].get_object();
        const int64_t prompt = num(r, "input_tokens") + num(r, "cache_read_input_tokens") + num(r, "cache_creation_input_tokens");
        const int64_t cached = json::find(r, "reused_tokens") ? num(r, "reused_tokens") : num(r, "cache_read_input_tokens");
        const auto ttft = json::find_number(r, "ttft_ms");
        out += fmt("%-8s %-12s %-14s %6lld %-10s %8s %8.0f %7lld %5.0f%% %-5s %5lld\n", text(r, "time").substr(11, 8).c_str(),
                   text(r, "route").c_str(), text(r, "session").substr(0, 14).c_str(), (long long)num(r, "status"),
                   (json::find_bool(r, "client_disconnect").value_or(false) ? "gone" : text(r, "stop_reason")).c_str(),
                   ttft ? fmt("%.0f", *ttft).c_str() : "-", json::find_number(r, "total_ms").value_or(0), (long long)prompt,
                   prompt ? 100.0 * cached / prompt : 0.0, text(r, "tier").c_str(), (long long)num(r, "output_tokens"));
    }
    return out;
}

}  // namespace

std::string format_status(const std::string& status_json, std::string* why) {
    auto p = json::parse(status_json);
    if (!p.ok() || !p.value.is_object() || !json::find_object(p.value.get_object(), "gateway")) {
        *why = "not a /status.json answer";
        return {};
    }
    const auto& d = p.value.get_object();
    return header(d) + sessions(d) + requests(d);
}

int print_status(const Config& cfg) {
    const std::string base = "http://127.0.0.1:" + std::to_string(cfg.port);
    net::io_context ioc;
    unsigned status = 0;
    std::string body, error = "no answer within 5 s";
    net::co_spawn(
        ioc,
        [&]() -> awaitable<void> {
            http::OutgoingRequest req;
            req.method = bhttp::verb::get;
            req.path = "/status.json";
            if (!cfg.api_key.empty()) req.headers.push_back({"x-api-key", cfg.api_key});
            http::ClientTimeouts t;
            t.connect = std::chrono::milliseconds(1000);
            t.first_byte = std::chrono::seconds(5);
            auto sent = co_await http::send_request(*http::Url::parse(base), std::move(req), t);
            if (!sent.response) {
                error = sent.error;
                co_return;
            }
            body = co_await sent.response->read_all();
            status = sent.response->status();
        },
        net::detached);
    ioc.run_for(std::chrono::seconds(6));
    if (status == 0) {
        std::fprintf(stderr, "anyclaude: no gateway answers at %s (%s); start one with `anyclaude serve` or pass --port\n",
                     base.c_str(), error.c_str());
        return 1;
    }
    if (status == 401) {
        std::fprintf(stderr, "anyclaude: the gateway at %s needs its API key (--api-key or ANYCLAUDE_API_KEY)\n", base.c_str());
        return 2;
    }
    std::string why;
    std::string out = status == 200 ? format_status(body, &why) : std::string();
    if (out.empty()) {
        std::fprintf(stderr, "anyclaude: %s answered %u to /status.json%s%s\n", base.c_str(), status,
                     why.empty() ? "" : ": ", why.c_str());
        return 2;
    }
    std::printf("%s", out.c_str());
    return 0;
}

}  // namespace anyclaude::app
