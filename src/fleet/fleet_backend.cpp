// Several upstream servers behind one backend (see fleet_backend.hpp). The health checks are in
// fleet_health.cpp.
#include "fleet/fleet_backend.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/json.hpp"
#include "fleet/fleet_core.hpp"
#include "ir/conversation_key.hpp"

namespace anyclaude::fleet {

using namespace net::experimental::awaitable_operators;

namespace {

std::vector<Member> ring_members(const std::vector<FleetMember>& members) {
    std::vector<Member> out;
    for (const auto& m : members) out.push_back({m.backend->config().url.to_string(), m.weight});
    return out;
}

// The backend, not the request, is at fault: another backend may answer.
bool backend_at_fault(const ir::ApiError& e) { return e.status >= 500 || backends::is_unreachable(e); }

}  // namespace

struct FleetBackend::Outcome {
    std::optional<ir::ApiError> error;
    bool cut_off = false;  // the backend was ejected by its health checks while this waited on it
};

FleetBackend::FleetBackend(std::vector<FleetMember> members, FleetOptions opt)
    : members_(std::move(members)), core_(std::make_shared<Core>(ring_members(members_), opt)) {
    for (const auto& m : members_) core_->targets.push_back({m.backend->config().url, m.backend->config().api_key});
}

FleetBackend::~FleetBackend() { stop(); }

void FleetBackend::stop() { core_->stopping = true; }

std::vector<bool> FleetBackend::allowed_for(const ir::Request& req) const {
    std::vector<bool> out;
    for (const auto& m : members_)
        out.push_back(m.models.empty() || req.backend_model.empty() ||
                      std::find(m.models.begin(), m.models.end(), req.backend_model) != m.models.end());
    return out;
}

Pick FleetBackend::route(const ir::Request& req, uint64_t key, int avoid) {
    const auto allowed = allowed_for(req);
    if (ir::is_side_request(req)) return core_->router.pick_any(&allowed, avoid);
    Pick p = core_->router.pick(key, Clock::now(), &allowed, avoid);
    if (p.moved)
        spdlog::info("fleet: conversation {} moved from {} to {} ({} moves so far)", ir::conversation_key_text(key),
                     core_->targets[static_cast<std::size_t>(p.from)].url.to_string(),
                     core_->targets[static_cast<std::size_t>(p.index)].url.to_string(), core_->router.moves());
    return p;
}

void FleetBackend::backend_failed(int i, const std::string& why) {
    if (core_->router.request_failed(i, Clock::now()))
        spdlog::warn("fleet: backend {} ejected: {}", core_->targets[static_cast<std::size_t>(i)].url.to_string(), why);
}

// One try on backend i, cut off if its health checks eject it meanwhile (a server that took the
// connection and stopped answering would otherwise hold the request until the client's timeout).
awaitable<FleetBackend::Outcome> FleetBackend::attempt(int i, const ir::Request& req, backends::EventSink& sink,
                                                       uint64_t key) {
    core_->router.started(i);
    struct Done {
        Core& core;
        int i;
        ~Done() { core.router.finished(i); }
    } done{*core_, i};
    auto core = core_;
    auto watch = [core, i]() -> awaitable<void> {
        const uint64_t seen = core->check_ejections[static_cast<std::size_t>(i)];
        net::steady_timer timer(co_await net::this_coro::executor);
        while (core->check_ejections[static_cast<std::size_t>(i)] == seen) {
            timer.expires_after(core->watch_period());
            co_await timer.async_wait(use_awaitable);
        }
    };
    auto r = co_await (members_[static_cast<std::size_t>(i)].backend->generate_keyed(req, sink, key) || watch());
    Outcome out;
    if (r.index() == 0) {
        out.error = std::move(std::get<0>(r));
    } else {
        out.cut_off = true;
        out.error = ir::ApiError::api("backend " + core_->targets[static_cast<std::size_t>(i)].url.to_string() +
                                      " stopped answering its health checks");
    }
    co_return out;
}

awaitable<std::optional<ir::ApiError>> FleetBackend::generate(const ir::Request& req, backends::EventSink& sink) {
    co_await start_checks();
    const uint64_t key = ir::conversation_key(req);
    std::optional<ir::ApiError> last;
    int avoid = -1;
    for (int tries = 0; tries < 2; ++tries) {  // the first backend, then once more on the next
        const Pick p = route(req, key, avoid);
        if (p.index < 0)
            co_return ir::ApiError::invalid_request("no backend of the fleet serves model '" + req.backend_model +
                                                    "': add it to a backend's \"models\" in the config file");
        Outcome o = co_await attempt(p.index, req, sink, key);
        if (!o.cut_off && (!o.error || !backend_at_fault(*o.error))) co_return o.error;
        if (!o.cut_off) backend_failed(p.index, o.error->message);
        if (sink.committed()) {
            // Bytes went out: never retried. A cut-off stream still needs its end.
            if (o.cut_off) co_await sink.emit(ir::StreamError{*o.error});
            co_return std::nullopt;
        }
        last = std::move(o.error);
        if (p.all_down) break;
        avoid = p.index;
        spdlog::info("fleet: retrying on another backend: {}", last->message);
    }
    co_return last;
}

awaitable<ir::Result<int64_t>> FleetBackend::count_tokens(const ir::Request& req) {
    co_await start_checks();
    const uint64_t key = ir::conversation_key(req);
    Pick p = route(req, key, -1);
    if (p.index < 0) p.index = 0;
    co_return co_await members_[static_cast<std::size_t>(p.index)].backend->count_tokens(req);
}

std::vector<backends::ModelInfo> FleetBackend::models() const {
    std::vector<backends::ModelInfo> out;
    for (const auto& m : members_)
        for (auto& info : m.backend->models())
            if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.id == info.id; }))
                out.push_back(std::move(info));
    return out;
}

std::string FleetBackend::describe() const {
    std::string out = members_.front().backend->config().mode + " fleet of " + std::to_string(members_.size()) + " (" +
                      to_string(core_->options.router.policy) + "):";
    for (const auto& t : core_->targets) out += " " + t.url.to_string();
    return out;
}

// The first healthy member that answers speaks for the fleet; the window is the smallest any
// member reported (a conversation may move to any of them).
awaitable<backends::BackendStatus> FleetBackend::status() {
    co_await start_checks();
    std::optional<backends::BackendStatus> first;
    for (auto& m : members_) {
        auto st = co_await m.backend->status();
        if (!first || (!first->reachable && st.reachable)) first = st;
    }
    auto w = window();
    if (first->reachable && w.known()) {
        first->context_window = w.tokens;
        first->window_source = w.source;
    }
    co_return *first;
}

backends::ContextWindow FleetBackend::window() const {
    backends::ContextWindow out;
    for (const auto& m : members_) {
        auto w = m.backend->window();
        if (w.known() && (!out.known() || w.tokens < out.tokens)) out = w;
    }
    return out;
}

bool FleetBackend::serves(const std::string& model_id) const {
    return std::any_of(members_.begin(), members_.end(), [&](const auto& m) { return m.backend->serves(model_id); });
}

std::string FleetBackend::count_tokens_method() const { return members_.front().backend->count_tokens_method(); }

std::vector<FleetBackend::Report> FleetBackend::report() const {
    std::vector<Report> out;
    for (std::size_t i = 0; i < members_.size(); ++i)
        out.push_back({core_->targets[i].url.to_string(), members_[i].weight, core_->router.state(static_cast<int>(i))});
    return out;
}

uint64_t FleetBackend::moves() const { return core_->router.moves(); }

std::string FleetBackend::fleet_json() const {
    std::string out;
    json::Writer j(out);
    j.begin_object();
    j.key("policy").value(to_string(core_->options.router.policy));
    j.key("moves").value(static_cast<int64_t>(moves()));
    j.key("backends").begin_array();
    for (const auto& r : report()) {
        const auto& s = r.state;
        j.begin_object();
        j.key("url").value(r.url);
        j.key("weight").value(static_cast<int64_t>(r.weight));
        j.key("state").value(s.healthy ? "healthy" : "ejected");
        j.key("in_flight").value(static_cast<int64_t>(s.in_flight));
        j.key("pinned").value(static_cast<int64_t>(s.pinned));
        j.key("requests").value(static_cast<int64_t>(s.requests));
        j.key("failures").value(static_cast<int64_t>(s.failures));
        j.key("ejections").value(static_cast<int64_t>(s.ejections));
        j.key("moved_in").value(static_cast<int64_t>(s.moved_in));
        j.key("moved_out").value(static_cast<int64_t>(s.moved_out));
        j.end_object();
    }
    j.end_array();
    j.end_object();
    return out;
}

}  // namespace anyclaude::fleet

namespace anyclaude::fleet {

// The check loops need the I/O loop's executor, which the first call brings.
awaitable<void> FleetBackend::start_checks() {
    if (core_->started || core_->stopping) co_return;
    core_->started = true;
    auto ex = co_await net::this_coro::executor;
    for (std::size_t i = 0; i < members_.size(); ++i) net::co_spawn(ex, check_loop(core_, static_cast<int>(i)), net::detached);
}

}  // namespace anyclaude::fleet
