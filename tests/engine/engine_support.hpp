// Helpers for engine tests: a tiny model made once per test binary with anyclaude-make-model,
// requests from Anthropic JSON, and running a job to completion on a real Engine.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "ir/request.hpp"

namespace anyclaude::engine {
// gtest prints these by name in failure messages.
inline void PrintTo(Tier t, std::ostream* os) { *os << to_string(t); }
}  // namespace anyclaude::engine

namespace anyclaude::test {

// Path of a tiny random qwen2 model (made on first use in a temp folder; same file after).
const std::string& tiny_model_path(const std::string& arch = "qwen2");

// Path of a tiny qwen2 model whose greedy answers depend on the prompt (layer weights scaled up,
// see varied_model_args()); the default tiny model answers every chat prompt with "\n" repeated.
const std::string& varied_model_path();
// The anyclaude-make-model options that make it.
std::string varied_model_args();

// A fresh empty folder under the test temp dir.
std::string fresh_dir(const std::string& name);

// ir::Request from Anthropic Messages JSON (billing header stripped).
ir::Request request_from_json(const std::string& json);

// A simple conversation: system + alternating user/assistant turns (last one user).
ir::Request conversation(const std::string& system, const std::vector<std::string>& turns, int max_tokens = 8,
                         double temperature = 0.0);

struct JobResult {
    std::vector<ir::Event> events;
    std::shared_ptr<engine::EngineJob> job;
    bool ok() const;
    std::string text() const;  // all text deltas
    ir::Usage usage() const;   // from message_delta
    ir::StopReason stop_reason() const;
    std::string error() const;  // StreamError message, "" if none
};

// Renders req with the engine's renderer, submits it and waits for the end (60 s at most).
// record_first_logits: the job keeps the logits of its first generated position.
JobResult run_job(engine::Engine& eng, const ir::Request& req, bool record_first_logits = false);

// Submits without waiting; the returned waiter blocks until the job ends.
struct PendingJob {
    std::shared_ptr<engine::EngineJob> job;
    std::shared_ptr<std::mutex> mu;
    std::shared_ptr<std::condition_variable> cv;
    std::shared_ptr<std::vector<ir::Event>> events;
    std::shared_ptr<bool> done;
    JobResult wait(int seconds = 60);
};
PendingJob start_job(engine::Engine& eng, const ir::Request& req, bool record_first_logits = false);

engine::EngineOptions tiny_engine_options(const std::string& cache_dir, int slots = 4,
                                          const std::string& model = tiny_model_path());
// The same on the varied model with f32 keys and values, for tests that compare outputs of two
// runs exactly: with llama.cpp's default f16 a 1e-7 difference between batch shapes can round to
// another f16 value, which the varied model amplifies (EngineOptions::kv_f32).
engine::EngineOptions varied_engine_options(const std::string& cache_dir, int slots = 4);

}  // namespace anyclaude::test
