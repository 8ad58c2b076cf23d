// Engine test helpers (see engine_support.hpp).
#include "engine_support.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "anthropic/request_decoder.hpp"
#include "ir/prompt_stability.hpp"

namespace anyclaude::test {

namespace fs = std::filesystem;

namespace {

// Makes a model with anyclaude-make-model once per test binary and options; same path after.
const std::string& made_model(const std::string& name, const std::string& args) {
    static std::mutex mu;
    static std::map<std::string, std::string> made;
    std::lock_guard lock(mu);
    auto it = made.find(name);
    if (it != made.end()) return it->second;
    fs::path dir = fs::path(testing::TempDir()) / ("anyclaude-models-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string path = (dir / (name + ".gguf")).string();
    std::string cmd = std::string(ANYCLAUDE_MAKE_MODEL) + " --out " + path + " " + args + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("anyclaude-make-model failed: " + cmd);
    return made.emplace(name, path).first->second;
}

}  // namespace

const std::string& tiny_model_path(const std::string& arch) {
    return made_model("tiny-" + arch, "--arch " + arch + " --shape tiny --type f32 --seed 1");
}

std::string varied_model_args() {
    if (const char* env = std::getenv("ANYCLAUDE_VARIED_MODEL_ARGS")) return env;  // measuring only
    return "--arch qwen2 --shape tiny --type f32 --seed 1 --layer-std 0.3";
}

const std::string& varied_model_path() { return made_model("varied", varied_model_args()); }

std::string fresh_dir(const std::string& name) {
    static int counter = 0;
    fs::path dir = fs::path(testing::TempDir()) /
                   ("anyclaude-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

ir::Request request_from_json(const std::string& json) {
    auto r = anthropic::decode_messages_request(json);
    if (!r) throw std::runtime_error("bad test request: " + r.error().message);
    ir::strip_billing_header(*r);
    return *r;
}

ir::Request conversation(const std::string& system, const std::vector<std::string>& turns, int max_tokens,
                         double temperature) {
    boost::json::object o;
    o["model"] = "claude-sonnet-4-5";
    o["max_tokens"] = max_tokens;
    o["temperature"] = temperature;
    if (!system.empty()) o["system"] = system;
    boost::json::array msgs;
    for (std::size_t i = 0; i < turns.size(); ++i) {
        boost::json::object m;
        m["role"] = i % 2 == 0 ? "user" : "assistant";
        m["content"] = turns[i];
        msgs.push_back(std::move(m));
    }
    o["messages"] = std::move(msgs);
    return request_from_json(boost::json::serialize(o));
}

bool JobResult::ok() const {
    return !events.empty() && std::holds_alternative<ir::MessageStop>(events.back());
}

std::string JobResult::text() const {
    std::string out;
    for (const auto& e : events)
        if (auto* d = std::get_if<ir::BlockDelta>(&e); d && d->kind == ir::DeltaKind::text) out += d->data;
    return out;
}

ir::Usage JobResult::usage() const {
    for (const auto& e : events)
        if (auto* d = std::get_if<ir::MessageDelta>(&e)) return d->usage;
    return {};
}

ir::StopReason JobResult::stop_reason() const {
    for (const auto& e : events)
        if (auto* d = std::get_if<ir::MessageDelta>(&e)) return d->stop_reason;
    return ir::StopReason::refusal;
}

std::string JobResult::error() const {
    for (const auto& e : events)
        if (auto* d = std::get_if<ir::StreamError>(&e)) return d->error.message;
    return {};
}

PendingJob start_job(engine::Engine& eng, const ir::Request& req, bool record_first_logits) {
    auto rendered = eng.renderer().render(req);
    if (!rendered) throw std::runtime_error("render failed: " + rendered.error().message);
    PendingJob p;
    p.job = std::make_shared<engine::EngineJob>();
    p.job->prompt = std::move(*rendered);
    p.job->tools = req.tools;
    p.job->message_id = "msg_test";
    p.job->model_name = req.model;
    p.job->role = engine::role_of(req);
    p.job->record_first_logits = record_first_logits;
    p.job->gen.temperature = req.temperature.value_or(1.0);
    p.job->gen.max_tokens = req.max_tokens;
    p.job->gen.stop_sequences = req.stop_sequences;
    p.job->gen.seed = 42;
    p.mu = std::make_shared<std::mutex>();
    p.cv = std::make_shared<std::condition_variable>();
    p.events = std::make_shared<std::vector<ir::Event>>();
    p.done = std::make_shared<bool>(false);
    auto mu = p.mu;
    auto cv = p.cv;
    auto events = p.events;
    auto done = p.done;
    p.job->on_events = [mu, cv, events, done](std::vector<ir::Event>&& ev) {
        std::lock_guard lock(*mu);
        for (auto& e : ev) {
            if (std::holds_alternative<ir::MessageStop>(e) || std::holds_alternative<ir::StreamError>(e)) *done = true;
            events->push_back(std::move(e));
        }
        cv->notify_all();
    };
    eng.submit(p.job);
    return p;
}

JobResult PendingJob::wait(int seconds) {
    std::unique_lock lock(*mu);
    cv->wait_for(lock, std::chrono::seconds(seconds), [&] { return *done; });
    JobResult r;
    r.events = *events;
    r.job = job;
    return r;
}

JobResult run_job(engine::Engine& eng, const ir::Request& req, bool record_first_logits) {
    return start_job(eng, req, record_first_logits).wait();
}

engine::EngineOptions tiny_engine_options(const std::string& cache_dir, int slots, const std::string& model) {
    engine::EngineOptions o;
    o.model.path = model;
    o.n_ctx = 8192;
    o.n_slots = slots;
    o.n_batch = 256;
    o.n_threads = 2;
    o.cache.disk_dir = cache_dir;
    o.cache.ram_budget_bytes = 256ull << 20;
    return o;
}

engine::EngineOptions varied_engine_options(const std::string& cache_dir, int slots) {
    auto o = tiny_engine_options(cache_dir, slots, varied_model_path());
    o.kv_f32 = true;
    return o;
}

}  // namespace anyclaude::test
