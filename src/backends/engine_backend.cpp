// Embedded-engine backend (see engine_backend.hpp).
#include "backends/engine_backend.hpp"

#include <spdlog/spdlog.h>

#include "ir/ids.hpp"

#include "common/json.hpp"

#include <atomic>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>

namespace anyclaude::backends {

namespace {

// Events from the engine thread to the request's coroutine on the I/O thread.
// Events from the engine thread to the request's coroutine. The engine side holds only the
// Mailbox (a mutex and a queue); the timer the coroutine sleeps on lives in the Waiter, which
// only the I/O thread ever touches or destroys (a job released on the engine thread used to
// destroy the timer there, after the loop it belongs to had gone: found under UBSan).
struct Waiter {
    explicit Waiter(net::any_io_executor ex) : timer(ex) {}
    net::steady_timer timer;
};

struct Mailbox {
    Mailbox(net::any_io_executor ex, std::weak_ptr<Waiter> w) : executor(std::move(ex)), waiter(std::move(w)) {}
    net::any_io_executor executor;
    std::weak_ptr<Waiter> waiter;
    std::mutex mu;
    std::deque<ir::Event> queue;

    void push(std::vector<ir::Event>&& events) {  // engine thread
        {
            std::lock_guard lock(mu);
            for (auto& e : events) queue.push_back(std::move(e));
        }
        net::post(executor, [w = waiter] {
            if (auto waiter = w.lock()) waiter->timer.cancel();
        });
    }
    std::vector<ir::Event> take() {
        std::lock_guard lock(mu);
        std::vector<ir::Event> out(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.end()));
        queue.clear();
        return out;
    }
    bool empty() {
        std::lock_guard lock(mu);
        return queue.empty();
    }
};

struct EventChannel {  // I/O thread
    explicit EventChannel(net::any_io_executor ex)
        : waiter(std::make_shared<Waiter>(ex)), mailbox(std::make_shared<Mailbox>(ex, waiter)) {}
    std::shared_ptr<Waiter> waiter;
    std::shared_ptr<Mailbox> mailbox;

    // Waits until events arrive or the timeout passes.
    awaitable<void> wait(std::chrono::milliseconds timeout) {
        if (!mailbox->empty()) co_return;
        waiter->timer.expires_after(timeout);
        boost::system::error_code ec;
        co_await waiter->timer.async_wait(net::redirect_error(use_awaitable, ec));
    }
    std::vector<ir::Event> take() { return mailbox->take(); }
};

// Marks the job cancelled when the request ends for any reason (client gone included).
struct CancelOnExit {
    std::shared_ptr<engine::EngineJob> job;
    ~CancelOnExit() {
        if (job) job->cancelled = true;
    }
};

}  // namespace

EngineBackend::EngineBackend(std::shared_ptr<engine::Engine> engine, EngineBackendOptions opt)
    : engine_(std::move(engine)), opt_(std::move(opt)) {
    if (opt_.model_id.empty()) opt_.model_id = std::filesystem::path(engine_->model().path()).filename().string();
}

EngineBackend::~EngineBackend() { stop(); }

void EngineBackend::stop() {
    // Renders finishing and the engine thread both post back to the I/O loop: both end here.
    render_pool_.join();
    engine_->shutdown();
}

std::string EngineBackend::describe() const { return "embedded " + engine_->model().path(); }

std::string EngineBackend::stats_json() const {
    auto s = engine_->stats();
    std::string out;
    json::Writer w(out);
    w.begin_object();
    w.key("requests").value(static_cast<int64_t>(s.requests));
    w.key("prompt_tokens").value(static_cast<int64_t>(s.prompt_tokens));
    w.key("reused_tokens").value(static_cast<int64_t>(s.reused_tokens));
    w.key("computed_tokens").value(static_cast<int64_t>(s.computed_tokens));
    w.key("generated_tokens").value(static_cast<int64_t>(s.generated_tokens));
    w.key("reused_from").begin_object();
    w.key("live").value(static_cast<int64_t>(s.reused_live));
    w.key("ram").value(static_cast<int64_t>(s.reused_ram));
    w.key("disk").value(static_cast<int64_t>(s.reused_disk));
    w.end_object();
    w.key("snapshots_taken").value(static_cast<int64_t>(s.snapshots_taken));
    w.key("cancelled").value(static_cast<int64_t>(s.cancelled));
    w.key("kv_cells").value(static_cast<int64_t>(s.kv_cells));
    w.key("kv_cells_used").value(static_cast<int64_t>(s.kv_cells_used));
    w.key("queue_depth").value(static_cast<int64_t>(s.queue_depth));
    w.key("cache").begin_object();
    w.key("ram_bytes").value(static_cast<int64_t>(s.cache.ram_bytes));
    w.key("ram_snapshots").value(static_cast<int64_t>(s.cache.ram_snapshots));
    w.key("disk_bytes").value(static_cast<int64_t>(s.cache.disk_bytes));
    w.key("disk_files").value(static_cast<int64_t>(s.cache.disk_files));
    w.key("disk_writes").value(static_cast<int64_t>(s.cache.disk_writes));
    w.key("disk_loads").value(static_cast<int64_t>(s.cache.disk_loads));
    w.key("disk_rejected").value(static_cast<int64_t>(s.cache.disk_rejected));
    w.key("disk_write_failures").value(static_cast<int64_t>(s.cache.disk_write_failures));
    w.key("ram_evictions").value(static_cast<int64_t>(s.cache.ram_evictions));
    w.end_object();
    w.end_object();
    return out;
}

ContextWindow EngineBackend::window() const { return {engine_->max_prompt_tokens(), "embedded --ctx-size"}; }

awaitable<BackendStatus> EngineBackend::status() {
    BackendStatus st;
    st.reachable = true;  // in this process
    st.model = opt_.model_id;
    auto w = window();
    st.context_window = w.tokens;
    st.window_source = w.source;
    co_return st;
}

std::vector<ModelInfo> EngineBackend::models() const {
    return {{opt_.model_id, opt_.model_id + " (" + engine_->model().description() + ")"}};
}

awaitable<ir::Result<engine::RenderedPrompt>> EngineBackend::render(const ir::Request& req) {
    // Rendering a 20k-token prompt takes tens of milliseconds: keep it off the I/O thread.
    // (co_spawn needs a default-constructible result, hence the optional.)
    //
    // The caller's cancellation (its client went away) is not forwarded into the pool: that
    // races with the end of the spawned coroutine (the emit ran on the pool thread after its
    // signal was freed: a crash when clients left mid-render, found by the soak benchmark).
    // Instead a handler on the caller's side raises a flag that the pool checks before it
    // starts, so renders of abandoned requests queued behind others are skipped.
    auto abandoned = std::make_shared<std::atomic<bool>>(false);
    auto cs = co_await net::this_coro::cancellation_state;
    if (cs.slot().is_connected())
        cs.slot().assign([abandoned](net::cancellation_type) { abandoned->store(true); });
    auto* renderer = &engine_->renderer();
    auto out = co_await net::co_spawn(
        render_pool_.get_executor(),
        [renderer, &req, abandoned]() -> awaitable<std::optional<ir::Result<engine::RenderedPrompt>>> {
            if (abandoned->load()) co_return ir::Result<engine::RenderedPrompt>(ir::ApiError::api("request cancelled"));
            co_return renderer->render(req);
        },
        net::bind_cancellation_slot(net::cancellation_slot(), use_awaitable));
    if (cs.slot().is_connected()) cs.slot().clear();
    co_return std::move(*out);
}

awaitable<ir::Result<int64_t>> EngineBackend::count_tokens(const ir::Request& req) {
    auto rendered = co_await render(req);
    if (!rendered) co_return rendered.error();
    co_return static_cast<int64_t>(rendered->tokens.size());
}

awaitable<std::optional<ir::ApiError>> EngineBackend::generate(const ir::Request& req, EventSink& sink) {
    auto rendered = co_await render(req);
    if (!rendered) co_return rendered.error();
    const auto n = static_cast<int64_t>(rendered->tokens.size());
    const int64_t max_prompt = engine_->max_prompt_tokens() - 1;
    if (n > max_prompt)
        co_return ir::ApiError::invalid_request("prompt is too long: " + std::to_string(n) + " tokens > " +
                                                std::to_string(max_prompt) + " maximum");

    auto job = std::make_shared<engine::EngineJob>();
    job->prompt = std::move(*rendered);
    job->tools = req.tools;
    job->message_id = ir::new_message_id();
    job->model_name = req.model;
    job->json_output = !req.output_schema_json.empty();
    job->role = engine::role_of(req);
    job->gen.temperature = req.temperature.value_or(1.0);
    job->gen.top_p = req.top_p.value_or(1.0);
    job->gen.top_k = static_cast<int>(req.top_k.value_or(0));
    job->gen.max_tokens = fit_max_tokens(req.max_tokens, n, max_prompt + 1);
    job->gen.stop_sequences = req.stop_sequences;
    if (job->gen.temperature > 0) job->gen.seed = static_cast<uint32_t>(std::random_device{}());

    auto channel = std::make_shared<EventChannel>(co_await net::this_coro::executor);
    job->on_events = [box = channel->mailbox](std::vector<ir::Event>&& ev) { box->push(std::move(ev)); };
    CancelOnExit guard{job};
    engine_->submit(job);

    // A request that waits in the engine's queue (every sequence busy) hears nothing from the
    // engine until it is admitted, which can take minutes behind long prefills: after one ping
    // interval of silence the client gets message_start (usage: the whole prompt as input, the
    // best knowledge before admission; message_delta carries the final split); the front door
    // then pings each interval until the first block starts (app/ping_sink.hpp). The engine's
    // own message_start is then dropped.
    bool started = false;
    for (;;) {
        co_await channel->wait(opt_.ping_interval);
        auto events = channel->take();
        if (events.empty()) {
            if (!started) {
                started = true;
                ir::Usage usage;
                usage.input_tokens = n;
                co_await sink.emit(ir::MessageStart{job->message_id, job->model_name, usage});
            }
            continue;
        }
        for (auto& ev : events) {
            if (auto* err = std::get_if<ir::StreamError>(&ev)) {
                if (!sink.committed()) co_return err->error;
                co_await sink.emit(ev);
                co_return std::nullopt;
            }
            if (std::holds_alternative<ir::MessageStart>(ev)) {
                if (started) continue;
                started = true;
            }
            bool stop = std::holds_alternative<ir::MessageStop>(ev);
            co_await sink.emit(ev);
            if (stop) co_return std::nullopt;
        }
    }
}

}  // namespace anyclaude::backends
