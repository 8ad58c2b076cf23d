// The observation point (see observer.hpp).
#include "observe/observer.hpp"

#include <spdlog/spdlog.h>

namespace anyclaude::observe {

struct Observer::Shared {
    std::vector<std::shared_ptr<Consumer>> consumers;
    Enricher enrich;
};

Observer::Observer(std::vector<std::shared_ptr<Consumer>> consumers, Enricher enrich)
    : shared_(std::make_shared<Shared>(Shared{std::move(consumers), std::move(enrich)})) {}

namespace {

// Ends the request however the handler ends (a destructor: the coroutine frame may be destroyed
// with its connection, without returning).
struct Observed {
    std::shared_ptr<Observer::Shared> shared;
    RequestSummary summary;
    std::vector<std::shared_ptr<void>> states;
    ~Observed() {
        summary.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - summary.t0).count();
        try {
            read_answer(summary);
            if (shared->enrich) shared->enrich(summary);
            for (std::size_t i = 0; i < shared->consumers.size(); ++i) shared->consumers[i]->end(summary, states[i]);
        } catch (const std::exception& e) {
            spdlog::warn("observer: {}", e.what());
        }
    }
};

awaitable<void> observe_one(std::shared_ptr<Observer::Shared> shared, const http::Handler& inner,
                            const http::Request& req, http::ResponseWriter& w) {
    Observed r{shared, {}, {}};
    r.summary.t0 = Clock::now();
    r.summary.arrived_epoch_ms =
        std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
    r.summary.method = std::string(req.method_string());
    r.summary.target = std::string(req.target());
    r.summary.peer = w.peer();
    for (const auto& c : shared->consumers) r.states.push_back(c->begin(req, r.summary));
    ObservingWriter ow(w, r.summary);
    co_await inner(req, ow);
}

}  // namespace

http::Handler Observer::wrap(http::Handler inner) const {
    return [shared = shared_, inner = std::move(inner)](const http::Request& req,
                                                        http::ResponseWriter& w) -> awaitable<void> {
        co_await observe_one(shared, inner, req, w);
    };
}

}  // namespace anyclaude::observe
