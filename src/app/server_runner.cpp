// Backend construction and server lifecycles (see server_runner.hpp).
#include "app/server_runner.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "anthropic/bodies.hpp"
#include "app/recorder.hpp"
#include "common/allocator.hpp"
#include "backends/upstream_backend.hpp"
#include "backends/web_search_backend.hpp"
#include "fleet/fleet_backend.hpp"
#ifdef ANYCLAUDE_HAVE_ENGINE
#include "backends/engine_backend.hpp"
#endif

namespace anyclaude::app {

void setup_logging(const Config& cfg) {
    std::shared_ptr<spdlog::logger> logger;
    if (!cfg.log_file.empty()) {
        logger = spdlog::basic_logger_mt("anyclaude", cfg.log_file);
    } else {
        logger = spdlog::stderr_color_mt("anyclaude");
    }
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    logger->set_level(spdlog::level::from_str(cfg.log_level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

namespace {

std::shared_ptr<backends::Backend> make_engine_backend(const Config& cfg, std::string* why, observe::EngineView* view) {
#ifdef ANYCLAUDE_HAVE_ENGINE
    if (cfg.model.empty()) {
        *why = "embedded mode needs --model path/to/model.gguf";
        return nullptr;
    }
    engine::EngineOptions eo;
    eo.model.path = cfg.model;
    eo.model.n_gpu_layers = static_cast<int>(cfg.gpu_layers);
    eo.n_ctx = static_cast<int>(cfg.ctx_size);
    eo.n_slots = static_cast<int>(cfg.parallel);
    eo.kv_layout = cfg.kv_layout == "per-sequence" ? engine::KvLayout::per_sequence : engine::KvLayout::unified;
    eo.n_threads = static_cast<int>(cfg.threads);
    eo.n_batch = static_cast<int>(cfg.batch);
    eo.flash_attn = cfg.flash_attn;
    eo.cache.ram_budget_bytes = static_cast<std::size_t>(cfg.cache_ram_mb) << 20;
    eo.cache.disk_budget_bytes = static_cast<std::size_t>(cfg.cache_disk_mb) << 20;
    eo.cache.disk_dir = effective_cache_dir(cfg);
    if (!cfg.chat_template_file.empty()) {
        std::ifstream f(cfg.chat_template_file);
        if (!f) {
            *why = "cannot read chat template " + cfg.chat_template_file;
            return nullptr;
        }
        std::stringstream ss;
        ss << f.rdbuf();
        eo.template_override = ss.str();
    }
    common::keep_large_blocks_mapped();  // snapshot buffers: allocator.hpp
    try {
        const auto ram_budget = eo.cache.ram_budget_bytes, disk_budget = eo.cache.disk_budget_bytes;
        auto eng = std::make_shared<engine::Engine>(std::move(eo));
        if (view) *view = observe::engine_view(eng, ram_budget, disk_budget);
        backends::EngineBackendOptions bo;
        bo.ping_interval = std::chrono::milliseconds(cfg.ping_interval_ms);
        return std::make_shared<backends::EngineBackend>(std::move(eng), bo);
    } catch (const std::exception& e) {
        *why = e.what();
        return nullptr;
    }
#else
    *why = "this build has no embedded engine (built with -DANYCLAUDE_ENGINE=OFF)";
    return nullptr;
#endif
}

}  // namespace

namespace {

// Several backend URLs: one UpstreamBackend per server, each built as a lone one would be (window
// probe, image support, token count), behind a FleetBackend that routes between them.
std::shared_ptr<backends::Backend> make_fleet(const Config& cfg, const backends::UpstreamConfig& base, std::string* why,
                                             FleetFigures* figures) {
    std::vector<fleet::FleetMember> members;
    for (const auto& entry : cfg.backends) {
        auto url = http::Url::parse(entry.url, why);
        if (!url) return nullptr;
        auto uc = base;
        uc.url = *url;
        if (!entry.key.empty()) uc.api_key = entry.key;
        members.push_back({std::make_shared<backends::UpstreamBackend>(std::move(uc)), static_cast<int>(entry.weight),
                           entry.models});
    }
    static const std::map<std::string, fleet::Policy> policies = {{"affinity", fleet::Policy::affinity},
                                                                  {"round-robin", fleet::Policy::round_robin},
                                                                  {"least-loaded", fleet::Policy::least_loaded}};
    fleet::FleetOptions fo;
    fo.router.policy = policies.at(cfg.route_policy);
    fo.router.load_slack = static_cast<double>(cfg.route_load_slack_pct) / 100.0;
    fo.health_interval = std::chrono::milliseconds(cfg.health_interval_ms);
    auto backend = std::make_shared<fleet::FleetBackend>(std::move(members), fo);
    if (figures)
        *figures = [weak = std::weak_ptr<fleet::FleetBackend>(backend)] {
            std::vector<observe::FleetMemberFigures> out;
            auto f = weak.lock();
            if (!f) return out;
            for (const auto& r : f->report()) {
                const auto& s = r.state;
                out.push_back({r.url, s.healthy, static_cast<uint64_t>(s.in_flight), s.pinned, s.requests, s.failures,
                               s.ejections, s.moved_in, s.moved_out});
            }
            return out;
        };
    return backend;
}

std::shared_ptr<backends::Backend> make_model_backend(const Config& cfg, std::string* why, observe::EngineView* view,
                                                     FleetFigures* fleet) {
    if (wants_embedded(cfg)) return make_engine_backend(cfg, why, view);
    auto uc = backends::upstream_defaults(cfg.mode);
    std::string url_text = effective_backend_url(cfg);
    auto url = http::Url::parse(url_text, why);
    if (!url) return nullptr;
    uc.url = *url;
    uc.api_key = cfg.backend_key;
    uc.route_key_header = cfg.route_key_header;
    uc.default_model = cfg.model;
    uc.models = {cfg.model};
    if (!cfg.small_model.empty() && cfg.small_model != cfg.model) uc.models.push_back(cfg.small_model);
    if (cfg.mid_system == "keep") {
        uc.mid_system = openai::MidSystem::keep;
        uc.mid_system_fallback = false;
    } else if (cfg.mid_system == "user") {
        uc.mid_system = openai::MidSystem::as_user;
    }
    uc.log_bodies = cfg.log_bodies;
    uc.commit_grace = std::chrono::milliseconds(cfg.commit_grace_ms);
    uc.context_window = cfg.context_window;
    uc.vision_model = cfg.vision_model;
    if (cfg.backends.size() > 1) return make_fleet(cfg, uc, why, fleet);
    return std::make_shared<backends::UpstreamBackend>(std::move(uc));
}
}  // namespace

// Every backend answers Anthropic's web search tool through the gateway's loop
// (backends/web_search_backend.hpp), with the configured provider or none.
std::shared_ptr<backends::Backend> make_backend(const Config& cfg, std::string* why, observe::EngineView* view,
                                                FleetFigures* fleet) {
    search::ProviderSettings ps;
    ps.searxng_url = cfg.search_url;
    ps.brave_api_key = cfg.brave_api_key;
    ps.brave_url = cfg.brave_url;
    auto provider = search::make_provider(ps, why);
    if (!provider && why && !why->empty()) return nullptr;
    if (provider) spdlog::info("web search through {}", provider->describe());
    auto backend = make_model_backend(cfg, why, view, fleet);
    if (!backend) return nullptr;
    return backends::with_web_search(std::move(backend), std::move(provider));
}

std::string check_bind_policy(const Config& cfg) {
    boost::system::error_code ec;
    auto addr = net::ip::make_address(cfg.host == "localhost" ? "127.0.0.1" : cfg.host, ec);
    if (ec) return "invalid host '" + cfg.host + "'";
    if (!addr.is_loopback() && cfg.api_key.empty() && !cfg.insecure_bind)
        return "refusing to listen on " + cfg.host +
               " without ANYCLAUDE_API_KEY: anyone on the network could use the backend. Set an API key, or "
               "--insecure-bind true to accept that.";
    return {};
}

namespace {

// The observation point: one hook around the whole gateway, so the recorder (--record), the
// request log, the metrics and the status page see every request as it arrived and the answer as
// it left (errors and refusals included), through one per-request summary.
std::shared_ptr<observe::Observatory> make_observatory(const Config& cfg, const observe::EngineView& view,
                                                       const FleetFigures& fleet) {
    observe::ObservatoryOptions oo;
    oo.metrics = cfg.metrics;
    oo.request_log = cfg.request_log;
    oo.engine = view;
    oo.fleet = fleet;
    std::string why;
    if (!cfg.record.empty()) {
        oo.recorder = Recorder::open({cfg.record, cfg.record_redact}, &why);
        if (!oo.recorder) throw std::runtime_error(why);
        spdlog::info("recording requests to {}{}", cfg.record, cfg.record_redact ? " (redacted)" : "");
    }
    auto obs = observe::Observatory::open(std::move(oo), &why);
    if (!obs) throw std::runtime_error(why);
    if (!cfg.request_log.empty()) spdlog::info("request log: {}", cfg.request_log);
    return obs;
}

std::unique_ptr<http::Server> make_server(net::io_context& ioc, const Config& cfg, std::shared_ptr<Gateway> gw,
                                          const observe::EngineView& view, const FleetFigures& fleet) {
    http::ServerLimits limits;
    limits.max_body_bytes = cfg.max_body_bytes;
    limits.read_timeout = std::chrono::milliseconds(cfg.request_timeout_ms);
    http::Handler handler = [gw](const http::Request& req, http::ResponseWriter& w) -> awaitable<void> {
        co_await gw->handle(req, w);
    };
    auto obs = make_observatory(cfg, view, fleet);
    gw->set_observatory(obs);
    handler = obs->wrap(std::move(handler));
    auto server = std::make_unique<http::Server>(ioc.get_executor(), limits, std::move(handler),
                                                 http::ErrorBody{"application/json", anthropic::transport_error_body});
    if (auto err = server->listen(cfg.host, cfg.port); !err.empty()) throw std::runtime_error(err);
    if (!cfg.port_file.empty()) {
        std::string tmp = cfg.port_file + ".tmp";
        std::ofstream(tmp) << server->port() << "\n";
        std::rename(tmp.c_str(), cfg.port_file.c_str());
    }
    return server;
}

}  // namespace

RunningServer::RunningServer(const Config& cfg) {
    if (auto err = check_bind_policy(cfg); !err.empty()) throw std::runtime_error(err);
    std::string why;
    auto backend = make_backend(cfg, &why, &view_, &fleet_view_);
    if (!backend) throw std::runtime_error(why);
    backend_ = backend;
    gateway_ = std::make_shared<Gateway>(cfg, backend);
    server_ = make_server(ioc_, cfg, gateway_, view_, fleet_view_);
    server_->start();
    spdlog::info("anyclaude {} listening on {} ({})", ANYCLAUDE_VERSION, base_url(), backend->describe());
    thread_ = std::thread([this] { ioc_.run(); });
}

RunningServer::~RunningServer() { stop(); }

std::string RunningServer::base_url() const {
    return "http://" + server_->host() + ":" + std::to_string(server_->port());
}

void RunningServer::stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    ioc_.stop();
    thread_.join();
    backend_->stop();  // before ioc_ (and the coroutines it still holds) is destroyed
}

int serve_forever(const Config& cfg) {
    if (auto err = check_bind_policy(cfg); !err.empty()) {
        spdlog::error("{}", err);
        return 2;
    }
    std::string why;
    observe::EngineView view;
    FleetFigures fleet_view;
    auto backend = make_backend(cfg, &why, &view, &fleet_view);
    if (!backend) {
        spdlog::error("{}", why);
        return 2;
    }
    net::io_context ioc{1};
    auto gateway = std::make_shared<Gateway>(cfg, backend);
    std::unique_ptr<http::Server> server;
    try {
        server = make_server(ioc, cfg, gateway, view, fleet_view);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 2;
    }
    server->start();
    spdlog::info("anyclaude {} listening on http://{}:{} ({})", ANYCLAUDE_VERSION, server->host(), server->port(),
                 backend->describe());

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    net::steady_timer drain(ioc);
    // Requests in flight get up to 30 s to finish after a signal, then the loop stops. (The
    // deadline and the check live here, not in the signal handler: the timer calls the check
    // after the handler has returned.)
    std::chrono::steady_clock::time_point deadline;
    std::function<void(const boost::system::error_code&)> check = [&](const boost::system::error_code&) {
        if (gateway->stats().in_flight == 0 || std::chrono::steady_clock::now() > deadline) {
            ioc.stop();
            return;
        }
        drain.expires_after(std::chrono::milliseconds(50));
        drain.async_wait(check);
    };
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: no longer accepting; waiting for {} request(s) in flight", sig,
                     gateway->stats().in_flight.load());
        server->stop();
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        check({});
    });
    ioc.run();
    backend->stop();  // the engine's threads end before the loop they post to is destroyed
    spdlog::info("anyclaude stopped");
    return 0;
}

}  // namespace anyclaude::app
