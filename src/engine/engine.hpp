// The embedded engine: one thread owns the llama.cpp context and runs every request on it with
// continuous batching over several sequences of one unified KV buffer. Requests arrive through a
// queue (submit) and leave as neutral events through each job's callback. Before a request is
// prefilled, the prompt cache finds the deepest cached prefix (a live sequence, shared with
// llama_memory_seq_cp; or a RAM/disk snapshot, restored) so a follow-up computes only its new
// tokens; side requests take their own sequence and never evict the main conversation.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/admission.hpp"
#include "engine/chat_render.hpp"
#include "engine/kv_sizing.hpp"
#include "engine/model.hpp"
#include "engine/prompt_cache.hpp"
#include "engine/tokens.hpp"
#include "ir/event.hpp"

struct llama_context;

namespace anyclaude::engine {

// Deliberate prompt-cache faults, for the fidelity test's negative controls only
// (tests/engine/fidelity_test.cpp): each leaves a sequence's KV different from the tokens the
// engine believes it holds, which the fidelity check must report. Never set in production.
enum class CacheFault {
    none,
    restore_one_short,       // a restored snapshot loses its last token (the rest shift up one position)
    restore_other_snapshot,  // a restore loads another conversation's snapshot of at least that length
    skip_cell_copy,          // a live prefix is copied without its middle cell
};

struct EngineOptions {
    ModelOptions model;
    int n_ctx = 0;      // KV cells in all (0: automatic, kv_sizing.hpp)
    int n_slots = 4;    // sequences (conversations + side requests kept live at once)
    int n_batch = 512;  // tokens per decode step
    int n_threads = 0;  // 0: all cores
    bool flash_attn = false;
    // A buffer per sequence: on the recorded fan-out session 32.3-32.7 s against 38.7-40.0 s in one
    // shared buffer (README "KV layout"); the window is then per sequence (kv_sizing.hpp).
    KvLayout kv_layout = KvLayout::per_sequence;
    // Keys and values in f32 instead of llama.cpp's default f16. The fidelity test compares a
    // cached run with a fresh one: with f16, a 1e-7 difference in a query (other batch shapes
    // take other matmul kernels) can round to another f16 value, and the varied model amplified
    // that to logit differences of 1e-3 and 9 different greedy tokens in 714 requests.
    bool kv_f32 = false;
    CacheOptions cache;
    bool prompt_cache = true;  // false: every prompt is computed from scratch (reference runs, debugging)
    std::string template_override;  // Jinja chat template instead of the model's
    CacheFault fault = CacheFault::none;
    // At shutdown every conversation is written to disk, within this time: a stop must not hang
    // (a 20k-token snapshot of a 7B model is ~1 GB, about a second to write).
    std::chrono::milliseconds shutdown_write_limit{10000};
};

struct GenerationParams {
    double temperature = 1.0;  // <= 0: greedy
    double top_p = 1.0;
    int top_k = 0;  // 0: off
    uint32_t seed = 0xFFFFFFFF;  // random
    int64_t max_tokens = 4096;
    std::vector<std::string> stop_sequences;
};

// One request for the engine thread. The callback runs on the engine thread and must not block.
struct EngineJob {
    RenderedPrompt prompt;
    GenerationParams gen;
    std::vector<ir::Tool> tools;
    std::string message_id;
    std::string model_name;  // reported in message_start
    bool json_output = false;  // output_config json_schema (grammar type)
    // Side request, subagent or main conversation (role_of): the order in which idle sequences
    // give up their tokens when room is needed (admission.hpp).
    SeqRole role = SeqRole::main;
    bool record_first_logits = false;  // keep the logits of the first generated position (tests)
    std::function<void(std::vector<ir::Event>&&)> on_events;
    std::atomic<bool> cancelled{false};
    std::chrono::steady_clock::time_point submitted{};  // set by submit(): the queue wait starts here

    // Filled in by the engine (read after MessageStop / StreamError, e.g. by tests).
    Tokens output_tokens;
    std::size_t reused_tokens = 0;
    Tier reused_from = Tier::none;
    std::vector<float> first_logits;  // when record_first_logits: one per vocabulary token
};

// What one finished request cost, for the gateway's request log and metrics (Engine::job_facts).
struct JobFacts {
    std::string message_id;
    int seq = -1;
    Tier reused_from = Tier::none;
    std::size_t prompt_tokens = 0, reused_tokens = 0;
    double queue_wait_ms = 0;  // submit() to admission
    double prefill_tps = 0;    // computed prompt tokens per second of prefill (0: none computed)
    double decode_tps = 0;     // generated tokens per second after the first (0: fewer than two)
};

// A sequence as the status page shows it (Engine::sequences): what it holds and for whom.
struct SequenceInfo {
    int seq = 0;
    std::size_t tokens = 0;  // tokens its KV holds (as of its last admission or release)
    bool busy = false;
    SeqRole role = SeqRole::main;
    std::string message_id;      // the last request it served
    int64_t last_used_epoch_ms = 0;
};

struct EngineStats {
    uint64_t requests = 0;
    uint64_t prompt_tokens = 0;    // all prompt tokens of all requests
    uint64_t reused_tokens = 0;    // of those, not recomputed (from any tier)
    uint64_t computed_tokens = 0;  // of those, prefilled
    uint64_t generated_tokens = 0;
    uint64_t reused_live = 0, reused_ram = 0, reused_disk = 0;  // requests by the tier they reused from
    uint64_t snapshots_taken = 0;
    uint64_t cancelled = 0;
    CacheStats cache;
    // Filled by stats() at the time of the call.
    uint64_t kv_cells = 0;       // the context's cells (--ctx-size)
    uint64_t kv_cells_used = 0;  // tokens held by all sequences (a prefix copied to two counts twice)
    uint64_t queue_depth = 0;    // submitted, not yet admitted
    uint64_t busy_sequences = 0;
};

class Engine {
public:
    explicit Engine(EngineOptions opt);  // loads the model, starts the engine thread; throws on failure
    ~Engine();                           // shutdown()
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    void submit(std::shared_ptr<EngineJob> job);
    // Stops taking jobs, cancels the running ones, writes valuable RAM snapshots to disk, stops.
    void shutdown();

    const Model& model() const { return *model_; }
    const ChatRenderer& renderer() const { return *renderer_; }
    int max_prompt_tokens() const { return seq_cells_; }  // a prompt must leave room for one token
    EngineStats stats() const;
    std::vector<SequenceInfo> sequences() const;
    // The facts of a recent request (the last 256) by its message id; nullopt when unknown.
    std::optional<JobFacts> job_facts(const std::string& message_id) const;

private:
    struct Slot;
    void run();
    void return_free_memory(bool force);  // common::trim_heap, rate-limited
    bool admit(const std::shared_ptr<EngineJob>& job);
    void step();
    void finish(Slot& s, ir::StopReason reason, const std::string& stop_sequence = {});
    void fail(Slot& s, const std::string& message);
    void release(Slot& s);
    void snapshot(Slot& s, Priority prio);
    bool restore(Slot& s, uint64_t snapshot_id, std::size_t keep);
    void truncate(Slot& s, std::size_t n);
    bool unified() const { return opt_.kv_layout == KvLayout::unified; }
    std::vector<SequenceView> sequence_views(const Tokens& prompt) const;
    Slot* victim_for_room(const Slot* except);  // an idle sequence holding tokens (admission.hpp's order)
    void move_to_ram(Slot& s, const char* why);  // snapshot it into the RAM tier, then empty it
    std::size_t execute(const AdmissionPlan& plan, Tier best_tier, Slot& s, const Tokens& prompt, Tier& from);
    std::optional<PromptCache::Loaded> load_for_restore(uint64_t snapshot_id, std::size_t keep);
    void copy_live_prefix(int from_seq, Slot& to, std::size_t length);
    void on_token(Slot& s, Token t);

    EngineOptions opt_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<ChatRenderer> renderer_;
    llama_context* ctx_ = nullptr;
    int n_ctx_ = 0;      // KV cells in all
    int step_tokens_ = 0;  // tokens in one decode step (llama.cpp's n_batch and n_ubatch)
    int seq_cells_ = 0;  // the most one sequence can hold (n_ctx_, or its share when per_sequence)
    std::unique_ptr<PromptCache> cache_;
    std::vector<std::unique_ptr<Slot>> slots_;
    uint64_t clock_ = 0;  // for LRU among slots
    std::deque<uint64_t> recent_snapshots_;  // CacheFault::restore_other_snapshot only

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<EngineJob>> queue_;
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point last_trim_{};  // engine thread
    EngineStats stats_;
    std::vector<SequenceInfo> seq_info_;  // mirror of slots_ for other threads (under mu_)
    std::deque<JobFacts> recent_jobs_;    // under mu_
    void publish(const Slot& s, const JobFacts* done);  // updates seq_info_ (and recent_jobs_)
    std::thread thread_;
};

}  // namespace anyclaude::engine
