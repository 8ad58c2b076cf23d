// The engine thread: admission with prefix reuse, continuous batching, sampling, streaming
// output, snapshots (see engine.hpp).
#include "engine/engine.hpp"

#include <llama.h>
#include <sampling.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/allocator.hpp"
#include "engine/output_parser.hpp"
#include "engine/sampling.hpp"
#include "engine/text_stream.hpp"

namespace anyclaude::engine {

namespace {

constexpr std::size_t kMinSnapshot = 32;     // shorter sequences are not worth a snapshot
constexpr auto kProgressEvery = std::chrono::seconds(5);

}  // namespace

// What one request needs while it runs on a sequence; reset when it ends (release()).
struct Generation {
    std::shared_ptr<EngineJob> job;
    bool prefilling = false;
    std::size_t prompt_pos = 0;  // next prompt token to feed
    std::vector<std::pair<std::size_t, Priority>> checkpoints;  // ascending positions to snapshot at
    std::unique_ptr<common_sampler, void (*)(common_sampler*)> sampler{nullptr, common_sampler_free};
    std::unique_ptr<OutputParser> parser;
    std::unique_ptr<TextStream> text;
    std::vector<std::string> client_stops;
    Token next = -1;  // sampled, not yet in the KV cache
    bool has_next = false;
    int64_t generated = 0;
    int logit_index = -1;   // row of this step's batch that carries its logits
    std::size_t fed = 0;    // prompt tokens fed in this step
    ir::Usage usage;
    std::chrono::steady_clock::time_point prefill_started, last_progress, prefill_done;
    double queue_wait_ms = 0;
};

// A sequence: what its KV cells hold, which outlives requests, and the request running on it.
struct Engine::Slot {
    int seq = 0;
    Tokens tokens;  // exactly what the KV cache holds for this sequence
    uint64_t last_used = 0;
    std::size_t prompt_len = 0;  // the last prompt admitted into it (its conversation's prefix)
    SeqRole role = SeqRole::main;  // of the request it last served
    Generation req;  // empty (no job) while idle

    bool in_batch() const { return req.fed > 0 || req.logit_index >= 0; }  // part of this step's batch
};

Engine::Engine(EngineOptions opt) : opt_(std::move(opt)) {
    model_ = std::make_unique<Model>(opt_.model);
    renderer_ = std::make_unique<ChatRenderer>(model_->get(), opt_.template_override);

    KvSizingInput sizing_in{.layout = opt_.kv_layout, .sequences = opt_.n_slots, .requested_cells = opt_.n_ctx,
                            .train_ctx = model_->n_ctx_train(),
                            .bytes_per_cell = model_->kv_bytes_per_token(opt_.kv_f32 ? 4 : 2)};
    // Host memory bounds the KV only when it lives there (no layer offloaded to a GPU).
    if (opt_.model.n_gpu_layers == 0) sizing_in.memory_budget = kv_memory_budget(memory_available(), model_->weight_bytes());
    const KvSizing sizing = size_kv(sizing_in);
    if (!sizing.note.empty()) spdlog::warn("KV cache: {}", sizing.note);
    n_ctx_ = static_cast<int>(sizing.total_cells);
    auto cp = llama_context_default_params();
    cp.n_ctx = static_cast<uint32_t>(n_ctx_);
    // One step holds a token for each decoding sequence and fills the rest of n_batch with prompt
    // tokens (step()), so llama.cpp computes it as one ubatch of at most n_batch. Steps of
    // n_batch + n_slots (516) tokens were slower: a cold 18.5k-token prefill took 9.26 and 8.99 s
    // against 8.79 and 8.79 s at 512 (llama-server 8.62 and 8.56 s; bench model, 2 threads).
    step_tokens_ = std::max(opt_.n_batch, opt_.n_slots + 1);
    cp.n_batch = static_cast<uint32_t>(step_tokens_);
    cp.n_ubatch = static_cast<uint32_t>(step_tokens_);
    cp.n_seq_max = static_cast<uint32_t>(opt_.n_slots);
    cp.kv_unified = opt_.kv_layout == KvLayout::unified;
    int threads = opt_.n_threads > 0 ? opt_.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    if (opt_.kv_f32) cp.type_k = cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = opt_.flash_attn ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf = true;
    cp.abort_callback = [](void* data) -> bool {
        auto* self = static_cast<Engine*>(data);
        if (self->stopping_) return true;
        bool any = false;
        for (auto& s : self->slots_) {
            if (!s->in_batch()) continue;
            if (!s->req.job) continue;
            any = true;
            if (!s->req.job->cancelled) return false;
        }
        return any;  // every job in the batch was cancelled: stop computing it
    };
    cp.abort_callback_data = this;
    ctx_ = llama_init_from_model(model_->get(), cp);
    if (!ctx_) throw std::runtime_error("llama.cpp could not create a context of " + std::to_string(n_ctx_) + " tokens");
    n_ctx_ = static_cast<int>(llama_n_ctx(ctx_));
    seq_cells_ = static_cast<int>(llama_n_ctx_seq(ctx_));

    if (opt_.cache.model_fingerprint.empty()) opt_.cache.model_fingerprint = model_->fingerprint();
    // A sequence's state records how many KV buffers the context has, and llama.cpp refuses it in
    // a context with another count ("state_seq_set_data: error loading state: n_stream mismatch",
    // a restart from 1 to 2 per-sequence buffers): snapshots are kept apart per buffer count.
    const int n_stream = unified() ? 1 : opt_.n_slots;
    if (n_stream > 1) opt_.cache.model_fingerprint += "-kv" + std::to_string(n_stream);
    if (!opt_.cache.disk_dir.empty())
        opt_.cache.disk_dir = PromptCache::model_folder(opt_.cache.disk_dir, opt_.cache.model_fingerprint);
    cache_ = std::make_unique<PromptCache>(opt_.cache);
    stats_.cache = cache_->stats();
    for (int i = 0; i < opt_.n_slots; ++i) {
        auto s = std::make_unique<Slot>();
        s->seq = i;
        slots_.push_back(std::move(s));
        seq_info_.push_back(SequenceInfo{.seq = i});
    }
    spdlog::info("engine ready: {} KV cells ({} MiB) {} {} sequences, window {} tokens, batch {}, {} threads, "
                 "flash attention {}", n_ctx_, (static_cast<int64_t>(n_ctx_) * sizing_in.bytes_per_cell) >> 20,
                 unified() ? "shared by" : "split evenly among", opt_.n_slots, seq_cells_, opt_.n_batch, threads,
                 opt_.flash_attn ? "on" : "off");
    thread_ = std::thread([this] { run(); });
}

Engine::~Engine() {
    shutdown();
    slots_.clear();  // their samplers before the context
    if (ctx_) llama_free(ctx_);
}

void Engine::submit(std::shared_ptr<EngineJob> job) {
    job->submitted = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            queue_.push_back(std::move(job));
            cv_.notify_one();
            return;
        }
    }
    std::vector<ir::Event> ev;
    ev.push_back(ir::StreamError{ir::ApiError::overloaded("The server is shutting down.")});
    job->on_events(std::move(ev));
}

void Engine::shutdown() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
        cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
}

EngineStats Engine::stats() const {
    std::lock_guard lock(mu_);
    EngineStats s = stats_;
    s.kv_cells = static_cast<uint64_t>(n_ctx_);
    s.queue_depth = queue_.size();
    for (const auto& q : seq_info_) {
        s.kv_cells_used += q.tokens;
        s.busy_sequences += q.busy ? 1 : 0;
    }
    return s;
}

std::vector<SequenceInfo> Engine::sequences() const {
    std::lock_guard lock(mu_);
    return seq_info_;
}

std::optional<JobFacts> Engine::job_facts(const std::string& message_id) const {
    std::lock_guard lock(mu_);
    for (auto it = recent_jobs_.rbegin(); it != recent_jobs_.rend(); ++it)
        if (it->message_id == message_id) return *it;
    return std::nullopt;
}

void Engine::publish(const Slot& s, const JobFacts* done) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lock(mu_);
    auto& q = seq_info_[static_cast<std::size_t>(s.seq)];
    q.tokens = s.tokens.size();
    q.busy = s.req.job != nullptr;
    q.role = s.role;
    if (s.req.job) q.message_id = s.req.job->message_id;
    q.last_used_epoch_ms = now_ms;
    if (!done) return;
    recent_jobs_.push_back(*done);
    if (recent_jobs_.size() > 256) recent_jobs_.pop_front();
}

void Engine::return_free_memory(bool force) {
    // Snapshots are megabytes each and are allocated and freed on several threads (engine,
    // render pool, I/O), so glibc's per-thread heaps keep freed pages resident: the process
    // stayed at its high-water mark (soak benchmark). Hand them back once the engine has been
    // idle for a moment, and every few seconds while it is busy (a trim of a few hundred MB takes
    // ~1 ms).
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_trim_ < std::chrono::seconds(2)) return;
    last_trim_ = now;
    common::trim_heap();
}

void Engine::run() {
    // The idle trim waits this long after the last job ends: the I/O and render threads free what
    // the finished requests held (their events, answers, snapshot copies) just after the engine
    // is done with them, and a trim before that would leave those pages resident until the next
    // busy period.
    constexpr auto kIdleTrimDelay = std::chrono::milliseconds(250);
    bool trimmed_while_idle = false;
    for (;;) {
        std::shared_ptr<EngineJob> next;
        bool active = false;
        {
            std::unique_lock lock(mu_);
            for (auto& s : slots_) active = active || s->req.job != nullptr;
            if (stopping_) break;
            if (!active && queue_.empty()) {
                auto work = [&] { return stopping_ || !queue_.empty(); };
                if (trimmed_while_idle) {
                    cv_.wait(lock, work);
                } else if (!cv_.wait_for(lock, kIdleTrimDelay, work)) {
                    lock.unlock();
                    return_free_memory(/*force=*/true);
                    trimmed_while_idle = true;
                }
                continue;
            }
            trimmed_while_idle = false;
            if (!queue_.empty()) {
                next = queue_.front();
                queue_.pop_front();
            }
        }
        if (next && !next->cancelled) {
            if (!admit(next)) {
                std::lock_guard lock(mu_);
                queue_.push_front(next);  // no free sequence yet: retry after this step
            }
        }
        for (auto& s : slots_) {
            if (s->req.job && s->req.job->cancelled) {
                {
                    std::lock_guard lock(mu_);
                    ++stats_.cancelled;
                }
                spdlog::info("request cancelled; sequence {} freed ({} tokens kept in cache)", s->seq, s->tokens.size());
                release(*s);
            }
        }
        step();
        return_free_memory(/*force=*/false);
    }

    // Shutdown: end running jobs, keep what the sequences hold, write valuable snapshots to disk.
    for (auto& s : slots_) {
        if (s->req.job) fail(*s, "The server is shutting down.");
    }
    {
        std::lock_guard lock(mu_);
        for (auto& job : queue_) {
            std::vector<ir::Event> ev;
            ev.push_back(ir::StreamError{ir::ApiError::overloaded("The server is shutting down.")});
            job->on_events(std::move(ev));
        }
        queue_.clear();
    }
    // Every conversation goes to disk, the live ones and those moved to the RAM tier, most
    // valuable first, within the disk budget and a bounded time (a stop must not hang).
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& s : slots_)
        if (s->tokens.size() >= kMinSnapshot) snapshot(*s, Priority::checkpoint);
    auto written = cache_->persist_all(Priority::normal, t0 + opt_.shutdown_write_limit);
    spdlog::info("engine stopped; prompt cache written to disk: {} snapshots ({} MiB) in {:.0f} ms{}", written.written,
                 written.bytes >> 20,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                 written.left ? fmt::format(", {} not written (time limit or disk)", written.left) : std::string());
}

void Engine::truncate(Slot& s, std::size_t n) {
    if (n < s.tokens.size()) {
        llama_memory_seq_rm(llama_get_memory(ctx_), s.seq, static_cast<llama_pos>(n), -1);
        s.tokens.resize(n);
    }
    s.prompt_len = std::min(s.prompt_len, s.tokens.size());
    if (s.tokens.empty())
        cache_->drop_live(s.seq);
    else
        cache_->set_live(s.seq, s.tokens);
}

void Engine::snapshot(Slot& s, Priority prio) {
    if (!opt_.prompt_cache || s.tokens.size() < kMinSnapshot) return;
    auto t0 = std::chrono::steady_clock::now();
    std::size_t size = llama_state_seq_get_size(ctx_, s.seq);
    std::vector<uint8_t> state(size);
    std::size_t got = llama_state_seq_get_data(ctx_, state.data(), size, s.seq);
    if (got == 0) {
        spdlog::warn("could not snapshot sequence {}", s.seq);
        return;
    }
    state.resize(got);
    uint64_t id = cache_->put(s.tokens, std::move(state), prio);
    if (opt_.fault == CacheFault::restore_other_snapshot) {
        recent_snapshots_.push_front(id);
        if (recent_snapshots_.size() > 32) recent_snapshots_.pop_back();
    }
    if (prio == Priority::stable_prefix) cache_->persist(id);
    auto cs = cache_->stats();
    {
        std::lock_guard lock(mu_);
        ++stats_.snapshots_taken;
        stats_.cache = cs;
    }
    spdlog::debug("snapshot of {} tokens ({} MiB) in {:.0f} ms", s.tokens.size(), got >> 20,
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
}

std::optional<PromptCache::Loaded> Engine::load_for_restore(uint64_t snapshot_id, std::size_t keep) {
    auto loaded = cache_->load(snapshot_id);
    if (!loaded || opt_.fault != CacheFault::restore_other_snapshot) return loaded;
    // The fault: the state of another conversation's snapshot, under this one's tokens.
    for (uint64_t other_id : recent_snapshots_) {
        if (other_id == snapshot_id) continue;
        auto other = cache_->load(other_id);
        if (!other || other->tokens.size() < keep ||
            std::equal(loaded->tokens.begin(), loaded->tokens.begin() + static_cast<std::ptrdiff_t>(keep),
                       other->tokens.begin()))
            continue;
        other->tokens = std::move(loaded->tokens);
        return other;
    }
    return loaded;
}

void Engine::copy_live_prefix(int from_seq, Slot& to, std::size_t length) {
    auto* mem = llama_get_memory(ctx_);
    const auto n = static_cast<llama_pos>(length);
    if (!unified()) {
        // Between buffers llama.cpp copies only whole sequences (a partial range asserts), and it
        // copies the data at the start of the next llama_decode; the tail is dropped here.
        llama_memory_seq_cp(mem, from_seq, to.seq, -1, -1);
        llama_memory_seq_rm(mem, to.seq, n, -1);
        return;
    }
    if (opt_.fault == CacheFault::skip_cell_copy && n >= 3) {  // the fault: the middle cell stays behind
        llama_memory_seq_cp(mem, from_seq, to.seq, 0, n / 2);
        llama_memory_seq_cp(mem, from_seq, to.seq, n / 2 + 1, n);
        return;
    }
    llama_memory_seq_cp(mem, from_seq, to.seq, 0, n);
}

bool Engine::restore(Slot& s, uint64_t snapshot_id, std::size_t keep) {
    auto loaded = load_for_restore(snapshot_id, keep);
    if (!loaded) return false;
    auto* mem = llama_get_memory(ctx_);
    llama_memory_seq_rm(mem, s.seq, -1, -1);
    s.tokens.clear();
    cache_->drop_live(s.seq);
    // Not enough free cells: move idle sequences to the RAM tier until it fits (in one buffer;
    // a sequence's own buffer is empty here, and others' cells would not help).
    while (llama_state_seq_set_data(ctx_, loaded->state.data(), loaded->state.size(), s.seq) == 0) {
        llama_memory_seq_rm(mem, s.seq, -1, -1);
        Slot* victim = unified() ? victim_for_room(&s) : nullptr;
        if (!victim) {
            spdlog::warn("could not restore a snapshot of {} tokens into sequence {}", loaded->tokens.size(), s.seq);
            return false;
        }
        move_to_ram(*victim, "making room for a restored prefix");
    }
    s.tokens = std::move(loaded->tokens);
    truncate(s, keep);
    if (opt_.fault == CacheFault::restore_one_short && keep >= 2) {
        // The fault: the last restored cell is lost and the rest move up one position, so the
        // positions stay consecutive (llama.cpp would reject a gap) but one token is missing.
        llama_memory_seq_rm(mem, s.seq, static_cast<llama_pos>(keep - 1), -1);
        llama_memory_seq_add(mem, s.seq, 0, static_cast<llama_pos>(keep - 1), 1);
    }
    return true;
}

std::vector<SequenceView> Engine::sequence_views(const Tokens& prompt) const {
    std::vector<SequenceView> views;
    for (const auto& sp : slots_) {
        const Slot& s = *sp;
        SequenceView v;
        v.tokens = s.tokens.size();
        v.common = common_prefix(s.tokens, prompt);
        v.prompt_len = s.prompt_len;
        v.busy = s.req.job != nullptr;
        v.shared = s.req.job ? common_prefix(s.req.job->prompt.tokens, prompt) : 0;
        v.role = s.role;
        v.last_used = s.last_used;
        views.push_back(v);
    }
    return views;
}

Engine::Slot* Engine::victim_for_room(const Slot* except) {
    int i = pick_victim(sequence_views({}), except ? except->seq : -1, /*holding_tokens=*/true);
    return i < 0 ? nullptr : slots_[static_cast<std::size_t>(i)].get();
}

void Engine::move_to_ram(Slot& s, const char* why) {
    spdlog::info("{}: moving idle sequence {} ({} tokens) to the RAM tier", why, s.seq, s.tokens.size());
    snapshot(s, Priority::normal);
    truncate(s, 0);
    publish(s, nullptr);
}

std::size_t Engine::execute(const AdmissionPlan& plan, Tier best_tier, Slot& s, const Tokens& prompt, Tier& from) {
    switch (plan.action) {
        case AdmitAction::continue_in_place:
            if (plan.keep_old_tail) snapshot(s, Priority::normal);  // a branch: keep the old tail
            truncate(s, plan.reuse);
            from = plan.reuse > 0 ? Tier::live : Tier::none;
            return plan.reuse;
        case AdmitAction::copy_live:
            truncate(s, 0);
            copy_live_prefix(plan.source, s, plan.reuse);
            s.tokens.assign(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(plan.reuse));
            cache_->set_live(s.seq, s.tokens);
            from = Tier::live;
            return plan.reuse;
        case AdmitAction::restore:
            if (restore(s, plan.snapshot_id, plan.reuse)) {
                from = best_tier;
                return plan.reuse;
            }
            spdlog::warn("sequence {}: the {} snapshot of {} tokens could not be restored; computing the prompt",
                         s.seq, to_string(best_tier), plan.reuse);
            truncate(s, 0);
            return 0;
        case AdmitAction::fresh:
        case AdmitAction::wait:
            truncate(s, 0);
            return 0;
    }
    return 0;
}

bool Engine::admit(const std::shared_ptr<EngineJob>& job) {
    const Tokens& prompt = job->prompt.tokens;
    auto reject = [&](ir::ApiError err) {
        std::vector<ir::Event> ev;
        ev.push_back(ir::StreamError{std::move(err)});
        job->on_events(std::move(ev));
        return true;
    };
    if (prompt.empty()) return reject(ir::ApiError::invalid_request("The prompt rendered to no tokens."));
    if (static_cast<int64_t>(prompt.size()) >= seq_cells_)
        return reject(ir::ApiError::invalid_request("prompt is too long: " + std::to_string(prompt.size()) +
                                                    " tokens > " + std::to_string(seq_cells_ - 1) + " maximum"));

    AdmissionRequest ask;
    ask.prompt_len = prompt.size();
    ask.prompt_cache = opt_.prompt_cache;
    if (opt_.prompt_cache) ask.best = cache_->find(prompt);
    const AdmissionPlan plan = plan_admission(sequence_views(prompt), ask);
    if (plan.action == AdmitAction::wait) return false;  // a sequence or a shared prefix is not ready yet
    Slot& s = *slots_[static_cast<std::size_t>(plan.target)];
    if (plan.victim >= 0) move_to_ram(*slots_[static_cast<std::size_t>(plan.victim)], "making room for a request");
    Tier from = Tier::none;
    std::size_t restored = execute(plan, ask.best.tier, s, prompt, from);
    if (restored >= prompt.size()) {  // the last prompt token is computed again for its logits
        truncate(s, prompt.size() - 1);
        restored = prompt.size() - 1;
    }
    const std::size_t n = prompt.size();
    s.req.usage = admission_usage(n, restored, job->prompt.breakpoints);

    // Checkpoint the tools+system prefix the first time it is computed (evicted last, kept on disk).
    s.req.checkpoints.clear();
    std::size_t stable = job->prompt.stable_prefix;
    if (stable > restored && stable < n && stable >= kMinSnapshot) s.req.checkpoints.push_back({stable, Priority::stable_prefix});

    s.req.sampler.reset(make_sampler(*model_, *job));
    s.req.client_stops = job->gen.stop_sequences;
    std::vector<std::string> stops = job->gen.stop_sequences;
    for (const auto& a : job->prompt.additional_stops) stops.push_back(a);
    s.req.text = std::make_unique<TextStream>(std::move(stops));
    s.req.parser = std::make_unique<OutputParser>(job->prompt, job->tools);
    s.req.job = job;
    s.role = job->role;
    s.prompt_len = n;
    s.req.prefilling = true;
    s.req.prompt_pos = restored;
    s.req.has_next = false;
    s.req.generated = 0;
    s.last_used = ++clock_;
    s.req.prefill_started = s.req.last_progress = std::chrono::steady_clock::now();
    s.req.queue_wait_ms = std::chrono::duration<double, std::milli>(s.req.prefill_started - job->submitted).count();
    job->reused_tokens = restored;
    job->reused_from = from;
    {
        std::lock_guard lock(mu_);
        ++stats_.requests;
        stats_.prompt_tokens += n;
        stats_.reused_tokens += restored;
        if (from == Tier::live) ++stats_.reused_live;
        if (from == Tier::ram) ++stats_.reused_ram;
        if (from == Tier::disk) ++stats_.reused_disk;
    }
    publish(s, nullptr);
    spdlog::info("request on sequence {}: {} prompt tokens, {} reused ({}, {}), {} to compute", s.seq, n, restored,
                 to_string(plan.action), to_string(from), n - restored);

    std::vector<ir::Event> ev;
    ev.push_back(ir::MessageStart{job->message_id, job->model_name, s.req.usage});
    job->on_events(std::move(ev));
    return true;
}

void Engine::step() {
    llama_batch batch = llama_batch_init(step_tokens_, 0, 1);
    int n = 0;
    auto add = [&](Token t, std::size_t pos, int seq, bool logits) {
        batch.token[n] = t;
        batch.pos[n] = static_cast<llama_pos>(pos);
        batch.n_seq_id[n] = 1;
        batch.seq_id[n][0] = seq;
        batch.logits[n] = logits;
        ++n;
    };
    for (auto& s : slots_) {
        s->req.logit_index = -1;
        s->req.fed = 0;
    }
    // Decoding sequences first (one token each), then prefill chunks in the remaining room.
    for (auto& s : slots_) {
        if (!s->req.job || !s->req.has_next) continue;
        s->req.logit_index = n;
        add(s->req.next, s->tokens.size(), s->seq, true);
    }
    for (auto& s : slots_) {
        if (!s->req.job || !s->req.prefilling) continue;
        const Tokens& prompt = s->req.job->prompt.tokens;
        std::size_t room = static_cast<std::size_t>(step_tokens_ - n);  // <= cp.n_batch in all
        std::size_t end = prompt.size();
        if (!s->req.checkpoints.empty()) end = std::min(end, s->req.checkpoints.front().first);
        std::size_t k = std::min(room, end - s->req.prompt_pos);
        k = std::min(k, static_cast<std::size_t>(opt_.n_batch));
        if (k == 0) continue;
        for (std::size_t i = 0; i < k; ++i) {
            std::size_t pos = s->req.prompt_pos + i;
            bool last = pos + 1 == prompt.size();
            if (last) s->req.logit_index = n;
            add(prompt[pos], pos, s->seq, last);
        }
        s->req.fed = k;
    }
    if (n == 0) {
        llama_batch_free(batch);
        return;
    }
    batch.n_tokens = n;
    int rc = llama_decode(ctx_, batch);
    llama_batch_free(batch);
    if (rc == 1) {
        // No room in the KV cache: move an idle sequence to the RAM tier and try again next step.
        if (Slot* victim = unified() ? victim_for_room(nullptr) : nullptr) {
            move_to_ram(*victim, "KV cache full");
            return;
        }
        for (auto& s : slots_)
            if (s->req.job && s->in_batch())
                fail(*s, "The KV cache is full (" + std::to_string(unified() ? n_ctx_ : seq_cells_) +
                             (unified() ? " cells shared by all requests)." : " cells per sequence)."));
        return;
    }
    if (rc == 2) {  // aborted: every job in the batch was cancelled; drop what it half computed
        for (auto& s : slots_)
            if (s->in_batch()) truncate(*s, s->tokens.size());
        return;
    }
    if (rc != 0) {
        for (auto& s : slots_)
            if (s->req.job && s->in_batch()) fail(*s, "llama_decode failed (" + std::to_string(rc) + ")");
        return;
    }

    for (auto& sp : slots_) {
        Slot& s = *sp;
        if (!s.req.job) continue;
        if (s.req.has_next && s.req.logit_index >= 0 && !s.req.prefilling) {
            s.tokens.push_back(s.req.next);
            s.req.has_next = false;
            Token t = common_sampler_sample(s.req.sampler.get(), ctx_, s.req.logit_index);
            on_token(s, t);
            continue;
        }
        if (s.req.prefilling && s.req.fed > 0) {
            const Tokens& prompt = s.req.job->prompt.tokens;
            s.tokens.insert(s.tokens.end(), prompt.begin() + static_cast<std::ptrdiff_t>(s.req.prompt_pos),
                            prompt.begin() + static_cast<std::ptrdiff_t>(s.req.prompt_pos + s.req.fed));
            s.req.prompt_pos += s.req.fed;
            {
                std::lock_guard lock(mu_);
                stats_.computed_tokens += s.req.fed;
            }
            if (!s.req.checkpoints.empty() && s.req.prompt_pos == s.req.checkpoints.front().first) {
                snapshot(s, s.req.checkpoints.front().second);
                s.req.checkpoints.erase(s.req.checkpoints.begin());
            }
            auto now = std::chrono::steady_clock::now();
            if (now - s.req.last_progress >= kProgressEvery) {
                s.req.last_progress = now;
                double secs = std::chrono::duration<double>(now - s.req.prefill_started).count();
                spdlog::info("prefill on sequence {}: {}/{} tokens ({:.0f} tokens/s)", s.seq, s.req.prompt_pos,
                             prompt.size(), (s.req.prompt_pos - s.req.job->reused_tokens) / std::max(secs, 1e-9));
            }
            if (s.req.prompt_pos == prompt.size()) {
                s.req.prefilling = false;
                s.req.prefill_done = now;
                cache_->set_live(s.seq, s.tokens);
                if (s.req.job->record_first_logits) {
                    const float* logits = llama_get_logits_ith(ctx_, s.req.logit_index);
                    s.req.job->first_logits.assign(logits, logits + llama_vocab_n_tokens(model_->vocab()));
                }
                Token t = common_sampler_sample(s.req.sampler.get(), ctx_, s.req.logit_index);
                on_token(s, t);
            }
        }
    }
}

void Engine::on_token(Slot& s, Token t) {
    s.req.job->output_tokens.push_back(t);
    ++s.req.generated;
    {
        std::lock_guard lock(mu_);
        ++stats_.generated_tokens;
    }
    common_sampler_accept(s.req.sampler.get(), t, true);
    if (model_->is_end_of_generation(t)) {
        finish(s, ir::StopReason::end_turn);
        return;
    }
    std::vector<ir::Event> ev;
    std::string text = s.req.text->push(model_->piece(t));
    if (!text.empty()) s.req.parser->feed(text, ev);
    if (!ev.empty()) s.req.job->on_events(std::move(ev));
    if (s.req.text->stopped()) {
        const std::string& stop = s.req.text->stop_sequence();
        bool client = std::find(s.req.client_stops.begin(), s.req.client_stops.end(), stop) != s.req.client_stops.end();
        finish(s, client ? ir::StopReason::stop_sequence : ir::StopReason::end_turn, client ? stop : std::string());
        return;
    }
    if (s.req.generated >= s.req.job->gen.max_tokens || static_cast<int64_t>(s.tokens.size()) + 1 >= seq_cells_) {
        finish(s, ir::StopReason::max_tokens);
        return;
    }
    s.req.next = t;
    s.req.has_next = true;
}

void Engine::finish(Slot& s, ir::StopReason reason, const std::string& stop_sequence) {
    std::vector<ir::Event> ev;
    std::string rest = s.req.text->flush();
    if (!rest.empty()) s.req.parser->feed(rest, ev);
    s.req.parser->finish(ev);
    if (s.req.parser->produced_tool_calls() && reason == ir::StopReason::end_turn) reason = ir::StopReason::tool_use;
    ir::MessageDelta md;
    md.stop_reason = reason;
    md.stop_sequence = stop_sequence;
    md.usage = s.req.usage;
    md.usage.output_tokens = s.req.generated;
    ev.push_back(md);
    ev.push_back(ir::MessageStop{});
    auto job = s.req.job;
    JobFacts facts{job->message_id, s.seq, job->reused_from, s.prompt_len, job->reused_tokens, s.req.queue_wait_ms};
    const double prefill_s = std::chrono::duration<double>(s.req.prefill_done - s.req.prefill_started).count();
    if (s.prompt_len > job->reused_tokens && prefill_s > 0)
        facts.prefill_tps = static_cast<double>(s.prompt_len - job->reused_tokens) / prefill_s;
    const double decode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.req.prefill_done).count();
    if (s.req.generated > 1 && decode_s > 0) facts.decode_tps = static_cast<double>(s.req.generated - 1) / decode_s;
    release(s);
    publish(s, &facts);
    job->on_events(std::move(ev));
}

void Engine::fail(Slot& s, const std::string& message) {
    std::vector<ir::Event> ev;
    if (s.req.parser) s.req.parser->finish(ev);
    ev.push_back(ir::StreamError{ir::ApiError::api(message)});
    auto job = s.req.job;
    release(s);
    job->on_events(std::move(ev));
}

void Engine::release(Slot& s) {
    s.req = Generation{};
    s.last_used = ++clock_;
    if (s.tokens.empty())
        cache_->drop_live(s.seq);
    else
        cache_->set_live(s.seq, s.tokens);
    auto cs = cache_->stats();
    {
        std::lock_guard lock(mu_);
        stats_.cache = cs;
    }
    publish(s, nullptr);
}

}  // namespace anyclaude::engine
