// anyclaude-engine-bench: measures the embedded engine's prompt cache on a Claude-Code-shaped
// conversation (capture-first.json scaled to ~18.5k tokens, then N turns) against three targets:
//   1. follow-up time to first token <= 1.15 x the physical limit (prefill of only the new tokens
//      at that depth + one decode step, timed with raw llama.cpp on the same model and threads);
//   2. the first turn after a restart (disk tier) <= 2 x the same turn in a warm session;
//   3. with a side request (session-title shape) between every turn, each main turn from turn 2
//      on reuses >= 99% of its prompt.
// Prints a markdown report on stdout (progress on stderr) and writes the report and a CSV to
// bench/results/. How to run it and what each figure means: bench/engine_bench.md.
#include <llama.h>
#include <log.h>
#include <sched.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "anthropic/request_decoder.hpp"
#include "engine/chat_render_tokens.hpp"
#include "engine/engine.hpp"
#include "engine/snapshot_file.hpp"
#include "ir/prompt_stability.hpp"

namespace {

namespace fs = std::filesystem;
using namespace anyclaude;
using engine::Token;
using engine::Tokens;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// ============================================================================ options

struct BenchOptions {
    std::string model = ".cache/models/bench-qwen2.gguf";
    std::string fixtures = "../shared/fixtures/claude-code-2.1.328";
    std::string results_dir = "bench/results";
    int prompt_tokens = 18500;  // turn-1 prompt size after scaling
    int turns = 10;
    int query_tokens = 100;    // each follow-up user query
    int reply_tokens = 32;     // max_tokens of main turns (greedy)
    int side_max_tokens = 24;  // max_tokens of side requests
    uint32_t seed = 1;
    int threads = 0;  // 0: online CPUs
    int batch = 512;
    int ctx = 32768;
    int slots = 4;
    bool flash_attn = false;
    int cache_ram_mb = 4096;
    int settle_ms = 300;      // pause between phases (OpenMP workers spin ~200 ms after work)
    int restart_repeats = 3;  // restarted engines measured (median reported)
    bool verbose = false;
    std::string command_line;
};

[[noreturn]] void usage_and_exit(int code) {
    std::cerr << "usage: anyclaude-engine-bench [--model PATH] [--fixtures DIR] [--results-dir DIR]\n"
                 "    [--prompt-tokens N] [--turns N] [--query-tokens N] [--reply-tokens N]\n"
                 "    [--side-max-tokens N] [--seed N] [--threads N] [--batch N] [--ctx N] [--slots N]\n"
                 "    [--flash-attn] [--cache-ram-mb N] [--settle-ms N] [--restart-repeats N] [--verbose]\n"
                 "defaults: --model .cache/models/bench-qwen2.gguf --prompt-tokens 18500 --turns 10\n"
                 "          --query-tokens 100 --reply-tokens 32 --side-max-tokens 24 --seed 1\n"
                 "          --threads <online CPUs> --batch 512 --ctx 32768 --slots 4 --cache-ram-mb 4096\n";
    std::exit(code);
}

std::string shell_quoted(const std::string& arg) {
    if (!arg.empty() &&
        arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+") ==
            std::string::npos)
        return arg;
    std::string out = "'";
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

BenchOptions parse_args(int argc, char** argv) {
    BenchOptions o;
    for (int i = 0; i < argc; ++i) o.command_line += (i ? " " : "") + shell_quoted(argv[i]);
    auto value = [&](int& i) -> std::string {
        if (i + 1 >= argc) usage_and_exit(2);
        return argv[++i];
    };
    auto number = [&](int& i) { return std::stoi(value(i)); };
    std::map<std::string, int*> ints = {{"--prompt-tokens", &o.prompt_tokens},
                                        {"--turns", &o.turns},
                                        {"--query-tokens", &o.query_tokens},
                                        {"--reply-tokens", &o.reply_tokens},
                                        {"--side-max-tokens", &o.side_max_tokens},
                                        {"--threads", &o.threads},
                                        {"--batch", &o.batch},
                                        {"--ctx", &o.ctx},
                                        {"--slots", &o.slots},
                                        {"--cache-ram-mb", &o.cache_ram_mb},
                                        {"--settle-ms", &o.settle_ms},
                                        {"--restart-repeats", &o.restart_repeats}};
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") usage_and_exit(0);
        if (auto it = ints.find(a); it != ints.end())
            *it->second = number(i);
        else if (a == "--model")
            o.model = value(i);
        else if (a == "--fixtures")
            o.fixtures = value(i);
        else if (a == "--results-dir")
            o.results_dir = value(i);
        else if (a == "--seed")
            o.seed = static_cast<uint32_t>(std::stoul(value(i)));
        else if (a == "--flash-attn")
            o.flash_attn = true;
        else if (a == "--verbose")
            o.verbose = true;
        else {
            std::cerr << "unknown argument: " << a << "\n";
            usage_and_exit(2);
        }
    }
    if (o.turns < 2 || o.prompt_tokens < 1 || o.reply_tokens < 1 || o.query_tokens < 1 || o.restart_repeats < 1)
        usage_and_exit(2);
    return o;
}

// ============================================================================ machine

int online_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) != 0) continue;
        auto colon = line.find(':');
        if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
    return "unknown";
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    double one = 0, five = 0, fifteen = 0;
    in >> one >> five >> fifteen;
    std::ostringstream s;
    s << std::fixed << std::setprecision(2) << one << " " << five << " " << fifteen;
    return s.str();
}

std::string utc_stamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H-%M-%SZ", &tm);
    return buf;
}

// CPU used by other processes while a phase runs, in % of the whole machine (from /proc/stat minus
// this process's own time): tells whether a timing was disturbed by other work on the machine.
class OthersCpu {
public:
    OthersCpu() : start_(sample()) {}
    double percent() const {
        Sample now = sample();
        double wall_ticks = std::chrono::duration<double>(now.at - start_.at).count() * ticks_per_second();
        double capacity = wall_ticks * online_cpus();
        double others = static_cast<double>(now.busy - start_.busy) - static_cast<double>(now.self - start_.self);
        return capacity > 0 ? std::clamp(100.0 * others / capacity, 0.0, 100.0) : 0;
    }

private:
    struct Sample {
        uint64_t busy = 0, self = 0;  // clock ticks: all CPUs busy, this process (user + system)
        Clock::time_point at;
    };
    static double ticks_per_second() { return static_cast<double>(::sysconf(_SC_CLK_TCK)); }
    static Sample sample() {
        Sample s;
        s.at = Clock::now();
        std::ifstream stat("/proc/stat");
        std::string cpu;
        uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
        stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
        s.busy = user + nice + system + irq + softirq + steal;
        std::ifstream self("/proc/self/stat");
        std::string line;
        std::getline(self, line);
        std::istringstream fields(line.substr(line.rfind(')') + 2));  // after "pid (comm) "
        std::string field;
        uint64_t utime = 0, stime = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {  // field numbers as in proc(5)
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        }
        s.self = utime + stime;
        return s;
    }
    Sample start_;
};

// Lets the OpenMP workers of the previous phase stop spinning before the next phase is timed.
void settle(const BenchOptions& o) {
    std::this_thread::sleep_for(std::chrono::milliseconds(o.settle_ms));
}

// ============================================================================ deterministic text

// Prose made of the fixture's own words, deterministic for a seed: words joined by spaces, with
// sentence ends and line breaks sprinkled in the way the fixtures have them.
class WordSource {
public:
    WordSource(std::vector<std::string> words, uint64_t seed) : words_(std::move(words)), rng_(seed) {}

    std::string next_item() {
        std::string w = words_[rng_() % words_.size()];
        uint64_t r = rng_() % 16;
        if (r == 0)
            w += ".\n";
        else if (r <= 2)
            w += ".";
        else if (r == 3)
            w += "\n";
        return w;
    }

private:
    std::vector<std::string> words_;
    std::mt19937_64 rng_;
};

std::vector<std::string> words_of(const std::string& text) {
    std::set<std::string> unique;
    std::string w;
    for (char c : text) {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            w += c;
        } else if (!w.empty()) {
            unique.insert(w);
            w.clear();
        }
    }
    if (!w.empty()) unique.insert(w);
    return {unique.begin(), unique.end()};
}

std::string join_items(const std::vector<std::string>& items, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n && i < items.size(); ++i) {
        if (!out.empty() && out.back() != '\n') out += ' ';
        out += items[i];
    }
    return out;
}

// A user query of about n_tokens tokens (the first item count reaching it).
std::string make_query(const engine::Model& model, WordSource& source, int n_tokens) {
    std::vector<std::string> items;
    std::string text;
    while (static_cast<int>(model.tokenize(text, false).size()) < n_tokens) {
        items.push_back(source.next_item());
        text = join_items(items, items.size());
    }
    return text;
}

// ============================================================================ workload

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

ir::Request load_fixture(const BenchOptions& o, const std::string& name) {
    std::string path = o.fixtures + "/" + name;
    auto decoded = anthropic::decode_messages_request(read_file(path));
    if (!decoded) throw std::runtime_error(path + ": " + decoded.error().message);
    ir::strip_billing_header(*decoded);
    return std::move(*decoded);
}

std::size_t main_system_block(const ir::Request& req) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < req.system.size(); ++i)
        if (req.system[i].text.size() > req.system[best].text.size()) best = i;
    return best;
}

std::size_t rendered_tokens(const engine::ChatRenderer& renderer, const ir::Request& req) {
    auto r = renderer.render(req);
    if (!r) throw std::runtime_error("render failed: " + r.error().message);
    return r->tokens.size();
}

struct ScaledPrompt {
    ir::Request request;
    std::size_t fixture_tokens = 0;  // capture-first as captured (billing header removed)
    std::size_t filler_items = 0;    // words appended to the main system block
    std::size_t tokens = 0;          // after scaling
};

ir::Request with_filler(const ir::Request& base, const std::vector<std::string>& items, std::size_t n) {
    ir::Request r = base;
    if (n > 0) r.system[main_system_block(r)].text += "\n\n" + join_items(items, n);
    return r;
}

// Appends the fixture's words to the main system block until the first turn renders to the target
// (binary search over the number of words: the largest count not above the target).
ScaledPrompt scale_prompt(const engine::ChatRenderer& renderer, const ir::Request& base, int target,
                          const std::vector<std::string>& words, uint64_t seed) {
    ScaledPrompt out;
    out.fixture_tokens = rendered_tokens(renderer, base);
    out.request = base;
    out.tokens = out.fixture_tokens;
    if (static_cast<std::size_t>(target) <= out.fixture_tokens || base.system.empty()) return out;

    WordSource source(words, seed);
    std::vector<std::string> items;
    std::size_t hi = 2 * (static_cast<std::size_t>(target) - out.fixture_tokens) + 64;
    auto grow = [&](std::size_t n) {
        while (items.size() < n) items.push_back(source.next_item());
    };
    grow(hi);
    while (rendered_tokens(renderer, with_filler(base, items, hi)) <= static_cast<std::size_t>(target)) grow(hi *= 2);
    std::size_t lo = 0;  // renders to <= target
    while (hi - lo > 1) {
        std::size_t mid = (lo + hi) / 2;
        if (rendered_tokens(renderer, with_filler(base, items, mid)) <= static_cast<std::size_t>(target))
            lo = mid;
        else
            hi = mid;
    }
    out.request = with_filler(base, items, lo);
    out.filler_items = lo;
    out.tokens = rendered_tokens(renderer, out.request);
    return out;
}

// ============================================================================ conversation

// Claude Code's turns: the first request as captured; later requests keep its messages (the
// environment message becomes plain, without cache_control), then the assistant replies and
// user queries so far, with cache_control on the last user block only.
class Conversation {
public:
    explicit Conversation(ir::Request first) : first_(std::move(first)) {}

    ir::Request request() const {
        if (later_.empty()) return first_;
        ir::Request r = first_;
        for (auto& m : r.messages)
            for (auto& b : m.content) b.cache_breakpoint = false;
        r.messages.insert(r.messages.end(), later_.begin(), later_.end());
        r.messages.back().content.back().cache_breakpoint = true;
        return r;
    }

    void add_turn(ir::Message reply, const std::string& query) {
        ir::Message user;
        user.role = ir::Role::user;
        for (const auto& b : reply.content) {
            if (b.kind != ir::BlockKind::tool_use) continue;
            ir::ContentBlock result;
            result.kind = ir::BlockKind::tool_result;
            result.id = b.id;
            result.content.push_back(ir::ContentBlock::make_text("done"));
            user.content.push_back(std::move(result));
        }
        user.content.push_back(ir::ContentBlock::make_text(query));
        later_.push_back(std::move(reply));
        later_.push_back(std::move(user));
    }

private:
    ir::Request first_;
    std::vector<ir::Message> later_;
};

// The assistant message a client would send back: the reply's text and tool_use blocks.
ir::Message reply_message(const std::vector<ir::Event>& events) {
    ir::Message m;
    m.role = ir::Role::assistant;
    std::map<int, std::size_t> block_at;  // event block index -> position in m.content
    for (const auto& e : events) {
        if (auto* s = std::get_if<ir::BlockStart>(&e)) {
            if (s->kind != ir::BlockKind::text && s->kind != ir::BlockKind::tool_use) continue;
            ir::ContentBlock b;
            b.kind = s->kind;
            b.id = s->tool_id;
            b.name = s->tool_name;
            block_at[s->index] = m.content.size();
            m.content.push_back(std::move(b));
        } else if (auto* d = std::get_if<ir::BlockDelta>(&e)) {
            auto it = block_at.find(d->index);
            if (it == block_at.end()) continue;
            auto& b = m.content[it->second];
            if (d->kind == ir::DeltaKind::text) b.text += d->data;
            if (d->kind == ir::DeltaKind::input_json) b.input_json += d->data;
        }
    }
    for (auto& b : m.content)
        if (b.kind == ir::BlockKind::tool_use && b.input_json.empty()) b.input_json = "{}";
    if (m.content.empty()) m.content.push_back(ir::ContentBlock::make_text(""));
    return m;
}

// The session-title side request: capture-side-1.json with its user text replaced.
ir::Request side_request(const ir::Request& fixture, const std::string& text, int max_tokens) {
    ir::Request r = fixture;
    r.messages.resize(1);
    r.messages[0].content = {ir::ContentBlock::make_text(text)};
    r.max_tokens = max_tokens;
    r.temperature = 0.0;
    return r;
}

// ============================================================================ one timed job

struct JobRun {
    Tokens prompt;  // rendered prompt tokens
    Tokens output;  // generated tokens
    std::size_t reused = 0;
    engine::Tier reused_from = engine::Tier::none;
    ir::Usage usage;
    std::vector<ir::Event> events;
    double render_ms = 0;                // render + tokenize, before submit
    double start_ms = 0;                 // submit -> message_start (queue, cache lookup, restore, sampler setup)
    double ttft_ms = 0;                  // submit -> first content block event
    bool ttft_fallback = false;          // no content block: first event after message_start instead
    std::size_t first_event_tokens = 0;  // tokens sampled when the first content block event came
    double others_cpu = 0;               // % of the machine used by other processes from submit to the end
    double total_ms = 0;                 // submit -> message_stop
    std::string error;

    std::size_t new_tokens() const { return prompt.size() - reused; }
    // Engine time per generated token after the first content event (decode + sample + parse).
    double ms_per_token() const {
        std::size_t later = output.size() > first_event_tokens ? output.size() - first_event_tokens : 0;
        return later ? (total_ms - ttft_ms) / static_cast<double>(later) : 0;
    }
    double cached_fraction() const {
        return prompt.empty() ? 0 : static_cast<double>(usage.cache_read_input_tokens) / prompt.size();
    }
};

// Collects a job's events (engine thread) with the time each kind first arrived.
struct EventLog {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<ir::Event> events;
    std::optional<Clock::time_point> started, first_block, first_after_start, ended;
    std::size_t first_block_tokens = 0, first_after_start_tokens = 0;

    // tokens_so_far: the job's output tokens now (read on the engine thread, which writes them).
    void push(std::vector<ir::Event>&& batch, std::size_t tokens_so_far) {
        auto now = Clock::now();
        std::lock_guard lock(mu);
        for (auto& e : batch) {
            bool is_start = std::holds_alternative<ir::MessageStart>(e);
            if (is_start && !started) started = now;
            if (!is_start && started && !first_after_start) {
                first_after_start = now;
                first_after_start_tokens = tokens_so_far;
            }
            if (!first_block &&
                (std::holds_alternative<ir::BlockStart>(e) || std::holds_alternative<ir::BlockDelta>(e))) {
                first_block = now;
                first_block_tokens = tokens_so_far;
            }
            if (std::holds_alternative<ir::MessageStop>(e) || std::holds_alternative<ir::StreamError>(e)) ended = now;
            events.push_back(std::move(e));
        }
        cv.notify_all();
    }
};

// As the gateway's engine backend builds a job from a request.
std::shared_ptr<engine::EngineJob> make_job(engine::Engine& eng, engine::RenderedPrompt prompt, const ir::Request& req,
                                            uint32_t seed) {
    auto job = std::make_shared<engine::EngineJob>();
    const auto n = static_cast<int64_t>(prompt.tokens.size());
    job->prompt = std::move(prompt);
    job->tools = req.tools;
    job->message_id = "msg_bench";
    job->model_name = req.model;
    job->json_output = !req.output_schema_json.empty();
    job->role = engine::role_of(req);
    job->gen.temperature = req.temperature.value_or(1.0);
    job->gen.top_p = req.top_p.value_or(1.0);
    job->gen.top_k = static_cast<int>(req.top_k.value_or(0));
    job->gen.max_tokens = std::max<int64_t>(1, std::min<int64_t>(req.max_tokens, eng.max_prompt_tokens() - n));
    job->gen.stop_sequences = req.stop_sequences;
    job->gen.seed = seed;
    return job;
}

std::string stream_error(const std::vector<ir::Event>& events) {
    for (const auto& e : events)
        if (auto* err = std::get_if<ir::StreamError>(&e)) return err->error.message;
    return {};
}

ir::Usage final_usage(const std::vector<ir::Event>& events) {
    for (const auto& e : events)
        if (auto* d = std::get_if<ir::MessageDelta>(&e)) return d->usage;
    return {};
}

JobRun run_job(engine::Engine& eng, const ir::Request& req, const BenchOptions& o) {
    JobRun run;
    auto t_render = Clock::now();
    auto rendered = eng.renderer().render(req);
    if (!rendered) throw std::runtime_error("render failed: " + rendered.error().message);
    auto log = std::make_shared<EventLog>();
    auto job = make_job(eng, std::move(*rendered), req, o.seed);
    const engine::EngineJob* raw_job = job.get();  // the callback runs on the engine thread, which owns it
    job->on_events = [log, raw_job](std::vector<ir::Event>&& ev) {
        log->push(std::move(ev), raw_job->output_tokens.size());
    };
    auto t_submit = Clock::now();
    run.render_ms = ms_between(t_render, t_submit);
    OthersCpu others;
    eng.submit(job);

    std::unique_lock lock(log->mu);
    if (!log->cv.wait_for(lock, std::chrono::hours(1), [&] { return log->ended.has_value(); }))
        throw std::runtime_error("a job did not finish within an hour");
    run.events = log->events;
    run.error = stream_error(run.events);
    run.usage = final_usage(run.events);
    if (log->started) run.start_ms = ms_between(t_submit, *log->started);
    auto first = log->first_block ? log->first_block : log->first_after_start;
    run.ttft_fallback = !log->first_block.has_value();
    run.first_event_tokens = log->first_block ? log->first_block_tokens : log->first_after_start_tokens;
    if (first) run.ttft_ms = ms_between(t_submit, *first);
    run.total_ms = ms_between(t_submit, *log->ended);
    run.others_cpu = others.percent();
    run.prompt = job->prompt.tokens;
    run.output = job->output_tokens;
    run.reused = job->reused_tokens;
    run.reused_from = job->reused_from;
    return run;
}

// ============================================================================ physical limit

// Raw llama.cpp on its own context of the same model with the engine's settings: holds a prefix
// untimed, then times the prefill of exactly the new tokens (n_batch chunks) + one decode step.
class RawLimit {
public:
    RawLimit(llama_model* model, const engine::EngineOptions& eo) : model_(model), n_batch_(eo.n_batch) {
        auto cp = llama_context_default_params();
        cp.n_ctx = static_cast<uint32_t>(eo.n_ctx);
        cp.n_batch = static_cast<uint32_t>(eo.n_batch);
        cp.n_ubatch = static_cast<uint32_t>(eo.n_batch);
        cp.n_seq_max = static_cast<uint32_t>(eo.n_slots);
        cp.kv_unified = true;
        cp.n_threads = eo.n_threads;
        cp.n_threads_batch = eo.n_threads;
        cp.flash_attn_type = eo.flash_attn ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
        cp.no_perf = true;
        ctx_ = llama_init_from_model(model, cp);
        if (!ctx_) throw std::runtime_error("could not create the raw llama.cpp context");
        batch_ = llama_batch_init(n_batch_, 0, 1);
    }
    ~RawLimit() {
        llama_batch_free(batch_);
        llama_free(ctx_);
    }
    RawLimit(const RawLimit&) = delete;
    RawLimit& operator=(const RawLimit&) = delete;

    struct Timing {
        double prefill_ms = 0;  // prompt[depth..] on top of prompt[0..depth), then the greedy token picked
        double limit_ms = 0;    // that + one single-token decode step
        double others_cpu = 0;  // % of the machine used by other processes meanwhile
    };

    Timing measure(const Tokens& prompt, std::size_t depth) {
        hold(prompt, depth);
        Timing t;
        OthersCpu others;
        auto t0 = Clock::now();
        decode_range(prompt, depth, prompt.size(), true);
        Token next = greedy_token();
        t.prefill_ms = ms_between(t0, Clock::now());
        Tokens one = {next};
        decode_range(one, 0, 1, true, prompt.size());
        (void)llama_get_logits_ith(ctx_, -1);
        t.limit_ms = ms_between(t0, Clock::now());
        t.others_cpu = others.percent();
        held_ = prompt;
        held_.push_back(next);
        return t;
    }

private:
    // Makes the sequence hold exactly prompt[0..depth), computing only what it lacks (untimed).
    void hold(const Tokens& prompt, std::size_t depth) {
        Tokens target(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(depth));
        std::size_t keep = engine::common_prefix(held_, target);
        llama_memory_seq_rm(llama_get_memory(ctx_), 0, static_cast<llama_pos>(keep), -1);
        decode_range(target, keep, depth, false);
        held_ = std::move(target);
    }

    // Decodes tokens[from..to) at positions pos_base + i, in n_batch chunks; logits for the last.
    void decode_range(const Tokens& tokens, std::size_t from, std::size_t to, bool logits_last,
                      std::size_t pos_base = 0) {
        for (std::size_t begin = from; begin < to; begin += static_cast<std::size_t>(n_batch_)) {
            std::size_t end = std::min(to, begin + static_cast<std::size_t>(n_batch_));
            batch_.n_tokens = 0;
            for (std::size_t i = begin; i < end; ++i) {
                int k = batch_.n_tokens++;
                batch_.token[k] = tokens[i];
                batch_.pos[k] = static_cast<llama_pos>(pos_base + i);
                batch_.n_seq_id[k] = 1;
                batch_.seq_id[k][0] = 0;
                batch_.logits[k] = logits_last && i + 1 == to;
            }
            if (llama_decode(ctx_, batch_) != 0) throw std::runtime_error("raw llama_decode failed");
        }
    }

    Token greedy_token() const {
        const float* logits = llama_get_logits_ith(ctx_, -1);
        int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model_));
        return static_cast<Token>(std::max_element(logits, logits + n_vocab) - logits);
    }

    llama_model* model_;
    llama_context* ctx_ = nullptr;
    llama_batch batch_{};
    int n_batch_;
    Tokens held_;
};

// ============================================================================ scenarios

engine::EngineOptions engine_options(const BenchOptions& o, const std::string& cache_dir) {
    engine::EngineOptions e;
    e.model.path = o.model;
    e.n_ctx = o.ctx;
    e.n_slots = o.slots;
    e.n_batch = o.batch;
    e.n_threads = o.threads;
    e.flash_attn = o.flash_attn;
    e.cache.ram_budget_bytes = static_cast<std::size_t>(o.cache_ram_mb) << 20;
    e.cache.disk_dir = cache_dir;  // "" -> no disk tier
    return e;
}

struct Workload {
    ScaledPrompt first;
    ir::Request side_fixture;
    std::vector<std::string> words;
    int side_query_tokens = 0;
};

Workload build_workload(engine::Engine& eng, const BenchOptions& o) {
    Workload w;
    ir::Request first = load_fixture(o, "capture-first.json");
    first.max_tokens = o.reply_tokens;
    first.temperature = 0.0;
    w.words = words_of(first.system[main_system_block(first)].text);
    if (w.words.empty()) throw std::runtime_error("the fixture's main system block has no words");
    w.first = scale_prompt(eng.renderer(), first, o.prompt_tokens, w.words, o.seed);
    w.side_fixture = load_fixture(o, "capture-side-1.json");
    const auto& side_text = w.side_fixture.messages.at(0).content.at(0).text;
    w.side_query_tokens = static_cast<int>(eng.model().tokenize(side_text, false).size());
    return w;
}

void progress(const std::string& scenario, int turn, const JobRun& r, const std::string& extra = "") {
    std::cerr << std::fixed << std::setprecision(1) << "[" << scenario << "] turn " << turn << ": " << r.prompt.size()
              << " prompt tokens, " << r.reused << " reused (" << engine::to_string(r.reused_from) << "), TTFT "
              << r.ttft_ms << " ms" << extra << "\n";
}

void require_ok(const JobRun& r, const std::string& what) {
    if (!r.error.empty()) throw std::runtime_error(what + " failed: " + r.error);
}

struct TurnRecord {
    int turn = 0;
    JobRun run;
    std::size_t depth = 0;  // prompt tokens a perfect cache holds (common prefix with what the last turn left)
    double limit_ms = 0;    // raw prefill of prompt[depth..] + one decode step
    double prefill_ms = 0;  // the raw prefill alone (the limit without its decode step)
    double raw_others_cpu = 0;
    std::size_t ideal_new() const { return run.prompt.size() - depth; }
    double ratio() const { return limit_ms > 0 ? run.ttft_ms / limit_ms : 0; }
    double ratio_with_render() const { return limit_ms > 0 ? (run.render_ms + run.ttft_ms) / limit_ms : 0; }
};

// Where the render time of one request goes: the whole render vs tokenizing its text alone.
struct RenderCost {
    std::size_t tokens = 0;
    double render_ms = 0;    // ChatRenderer::render (template, tokenize, positions, grammar)
    double tokenize_ms = 0;  // tokenize_prompt of the rendered text (the renderer's own tokenizing step)
};

struct WarmSession {
    std::vector<ir::Request> requests;  // every turn's request (replayed by the other scenarios)
    std::vector<TurnRecord> turns;
    RenderCost last_render;
};

template <class F>
double median_ms(int runs, F&& f) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        auto t0 = Clock::now();
        f();
        ms.push_back(ms_between(t0, Clock::now()));
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

RenderCost measure_render(const engine::Engine& eng, const ir::Request& req) {
    RenderCost c;
    auto rendered = eng.renderer().render(req);
    if (!rendered) return c;
    c.tokens = rendered->tokens.size();
    c.render_ms = median_ms(5, [&] { (void)eng.renderer().render(req); });
    c.tokenize_ms = median_ms(5, [&] { (void)engine::tokenize_prompt(eng.model().vocab(), rendered->text); });
    return c;
}

// What a sequence holds after a turn: the prompt and every generated token but the last.
Tokens held_after(const JobRun& r) {
    Tokens held = r.prompt;
    if (!r.output.empty()) held.insert(held.end(), r.output.begin(), r.output.end() - 1);
    return held;
}

// Target 1: N turns on one engine; after each, the physical limit of that turn on a raw context.
WarmSession run_warm_session(engine::Engine& eng, const Workload& w, const BenchOptions& o) {
    WarmSession s;
    RawLimit raw(eng.model().get(), engine_options(o, ""));
    Conversation conv(w.first.request);
    WordSource queries(w.words, o.seed * 7919ull + 1);
    Tokens held;
    for (int turn = 1; turn <= o.turns; ++turn) {
        s.requests.push_back(conv.request());
        settle(o);
        TurnRecord rec;
        rec.turn = turn;
        rec.run = run_job(eng, s.requests.back(), o);
        require_ok(rec.run, "warm turn " + std::to_string(turn));
        rec.depth = std::min(engine::common_prefix(held, rec.run.prompt), rec.run.prompt.size() - 1);
        settle(o);
        auto timing = raw.measure(rec.run.prompt, rec.depth);
        rec.limit_ms = timing.limit_ms;
        rec.prefill_ms = timing.prefill_ms;
        rec.raw_others_cpu = timing.others_cpu;
        held = held_after(rec.run);
        std::ostringstream extra;
        extra << std::fixed << std::setprecision(1) << ", limit " << rec.limit_ms << " ms";
        progress("warm", turn, rec.run, extra.str());
        if (turn < o.turns)
            conv.add_turn(reply_message(rec.run.events), make_query(eng.model(), queries, o.query_tokens));
        s.turns.push_back(std::move(rec));
    }
    s.last_render = measure_render(eng, s.requests.back());
    return s;
}

struct RestartResult {
    JobRun first_turn;             // turn 1 on the engine that is then destroyed
    std::vector<JobRun> restarts;  // turn 2 on new engines, each on a copy of its cache folder (page cache warm)
    std::vector<JobRun> evicted;   // same, with the copy's files dropped from the page cache first
    JobRun cold;                   // turn 2 on an engine without any cache
    std::size_t disk_files = 0, disk_bytes = 0;  // the cache folder after the first engine's shutdown
    std::size_t largest_file_bytes = 0;
    double read_verify_ms = 0;  // read_snapshot_state of the largest file (page cache warm, median of 3)
};

// The sample with the median TTFT.
const JobRun& median_run(const std::vector<JobRun>& runs) {
    std::vector<const JobRun*> sorted;
    for (const auto& r : runs) sorted.push_back(&r);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->ttft_ms < b->ttft_ms; });
    return *sorted[sorted.size() / 2];
}

void folder_size(const fs::path& dir, std::size_t& files, std::size_t& bytes) {
    files = bytes = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        ++files;
        bytes += entry.file_size();
    }
}

// Pushes the folder's files out of the OS page cache, as after a reboot (best effort).
void evict_from_page_cache(const fs::path& dir) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        int fd = ::open(entry.path().c_str(), O_RDONLY);
        if (fd < 0) continue;
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

JobRun run_on_fresh_engine(const BenchOptions& o, const std::string& cache_dir, const ir::Request& req,
                           const std::string& label) {
    engine::Engine eng(engine_options(o, cache_dir));
    settle(o);
    JobRun r = run_job(eng, req, o);
    require_ok(r, label);
    progress(label, 2, r);
    return r;
}

// Time to read and verify the largest snapshot file (the part of a disk restore done before
// llama_state_seq_set_data). The folder is <cache dir>/<model fingerprint>/<hash>.ackv.
void time_largest_snapshot(const fs::path& dir, RestartResult& out) {
    fs::path largest;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.file_size() <= out.largest_file_bytes) continue;
        out.largest_file_bytes = entry.file_size();
        largest = entry.path();
    }
    if (largest.empty()) return;
    std::string fingerprint = largest.parent_path().filename().string();
    auto header = engine::read_snapshot_header(largest.string(), fingerprint);
    if (!header) return;
    out.read_verify_ms =
        median_ms(3, [&] { (void)engine::read_snapshot_state(largest.string(), fingerprint, header->tokens); });
}

// Target 2: turn 1, engine destroyed (shutdown writes the sequences to disk), then turn 2 on new
// engines, each on a fresh copy of that folder (so every sample starts from the same files).
RestartResult run_restart(const WarmSession& warm, const BenchOptions& o, const fs::path& tmp) {
    RestartResult out;
    fs::path pristine = tmp / "restart";
    {
        engine::Engine eng(engine_options(o, pristine.string()));
        settle(o);
        out.first_turn = run_job(eng, warm.requests[0], o);
        require_ok(out.first_turn, "restart turn 1");
        progress("restart", 1, out.first_turn);
    }
    folder_size(pristine, out.disk_files, out.disk_bytes);
    time_largest_snapshot(pristine, out);
    for (int k = 0; k < o.restart_repeats; ++k) {
        fs::path warm_copy = tmp / ("restart-" + std::to_string(k));
        fs::copy(pristine, warm_copy, fs::copy_options::recursive);
        out.restarts.push_back(run_on_fresh_engine(o, warm_copy.string(), warm.requests[1], "restart"));
        fs::path evicted_copy = tmp / ("restart-evicted-" + std::to_string(k));
        fs::copy(pristine, evicted_copy, fs::copy_options::recursive);
        evict_from_page_cache(evicted_copy);
        out.evicted.push_back(run_on_fresh_engine(o, evicted_copy.string(), warm.requests[1], "restart, evicted"));
    }
    out.cold = run_on_fresh_engine(o, "", warm.requests[1], "cold");
    return out;
}

struct SideTurn {
    JobRun main;
    std::optional<JobRun> side;  // the side request sent before this main turn
};

// Target 3: the warm session's requests again on a fresh engine, a side request before each follow-up.
std::vector<SideTurn> run_side_session(const WarmSession& warm, const Workload& w, const BenchOptions& o,
                                       const fs::path& tmp) {
    std::vector<SideTurn> out;
    engine::Engine eng(engine_options(o, (tmp / "side").string()));
    WordSource titles(w.words, o.seed * 104729ull + 3);
    for (std::size_t i = 0; i < warm.requests.size(); ++i) {
        SideTurn t;
        int turn = static_cast<int>(i) + 1;
        if (i > 0) {
            settle(o);
            auto side =
                side_request(w.side_fixture, make_query(eng.model(), titles, w.side_query_tokens), o.side_max_tokens);
            t.side = run_job(eng, side, o);
            require_ok(*t.side, "side request " + std::to_string(turn));
            progress("side", turn, *t.side);
        }
        settle(o);
        t.main = run_job(eng, warm.requests[i], o);
        require_ok(t.main, "main turn " + std::to_string(turn) + " with side requests");
        progress("main+side", turn, t.main);
        out.push_back(std::move(t));
    }
    return out;
}

// ============================================================================ report

std::string fixed(double v, int digits = 1) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << v;
    return s.str();
}

std::string percent(double v) {
    return fixed(100 * v, 2) + "%";
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const char* verdict(bool pass) {
    return pass ? "PASS" : "MISS";
}

struct Verdicts {
    double median_ratio = 0, median_ratio_with_render = 0;
    double restart_factor = 0, restart_evicted_factor = 0;
    double min_cached = 1;
    bool target1 = false, target2 = false, target3 = false;
};

Verdicts judge(const WarmSession& warm, const RestartResult& rs, const std::vector<SideTurn>& side) {
    Verdicts v;
    std::vector<double> ratios, with_render;
    for (std::size_t i = 1; i < warm.turns.size(); ++i) {
        ratios.push_back(warm.turns[i].ratio());
        with_render.push_back(warm.turns[i].ratio_with_render());
    }
    v.median_ratio = median(ratios);
    v.median_ratio_with_render = median(with_render);
    v.target1 = v.median_ratio <= 1.15;
    const double warm2 = warm.turns[1].run.ttft_ms;
    v.restart_factor = median_run(rs.restarts).ttft_ms / warm2;
    v.restart_evicted_factor = median_run(rs.evicted).ttft_ms / warm2;
    v.target2 = v.restart_factor <= 2.0;
    for (std::size_t i = 1; i < side.size(); ++i) v.min_cached = std::min(v.min_cached, side[i].main.cached_fraction());
    v.target3 = v.min_cached >= 0.99;
    return v;
}

struct ReportContext {
    const BenchOptions& opt;
    std::string model_description;
    std::string load_before, load_after;
    const Workload& workload;
    std::size_t stable_prefix = 0;
};

void report_header(std::ostream& out, const ReportContext& c) {
    const auto& o = c.opt;
    out << "# anyclaude engine prompt-cache bench\n\n"
        << "- command: `" << o.command_line << "`\n"
        << "- machine: " << online_cpus() << " CPUs (nproc), " << cpu_model() << "; load average before "
        << c.load_before << ", after " << c.load_after << "\n"
        << "- model: " << o.model << " (" << c.model_description << ")\n"
        << "- engine: " << o.threads << " threads, n_ctx " << o.ctx << ", " << o.slots << " slots, n_batch " << o.batch
        << ", flash attention " << (o.flash_attn ? "on" : "off") << ", cache RAM " << o.cache_ram_mb
        << " MB, disk tier in a temp folder\n"
        << "- prompt: capture-first.json (" << c.workload.first.fixture_tokens
        << " tokens as captured, billing line removed) + " << c.workload.first.filler_items
        << " filler words in the main system block = " << c.workload.first.tokens << " tokens (tools+system prefix "
        << c.stable_prefix << "); " << o.turns << " turns, ~" << o.query_tokens
        << "-token queries, replies <= " << o.reply_tokens << " tokens (greedy), seed " << o.seed << "\n\n";
}

void report_target1(std::ostream& out, const WarmSession& warm, const Verdicts& v) {
    out << "## Target 1: follow-up TTFT <= 1.15 x physical limit\n\n"
        << "TTFT: submit -> first content block event. Limit: raw llama.cpp prefill of the new tokens at that "
           "depth + one decode step. Render: render + tokenize before submit (not in TTFT).\n\n"
        << "| turn | prompt | depth | new (ideal) | reused (tier) | render ms | submit->start ms | TTFT ms | raw "
           "prefill "
           "ms | limit ms | ratio | ratio incl. render | tokens at 1st event | ms/token after | others' CPU % "
           "(engine / raw) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& t : warm.turns) {
        const auto& r = t.run;
        out << "| " << t.turn << " | " << r.prompt.size() << " | " << t.depth << " | " << t.ideal_new() << " | "
            << r.reused << " (" << engine::to_string(r.reused_from) << ") | " << fixed(r.render_ms) << " | "
            << fixed(r.start_ms) << " | " << fixed(r.ttft_ms) << (r.ttft_fallback ? "*" : "") << " | "
            << fixed(t.prefill_ms) << " | " << fixed(t.limit_ms) << " | " << fixed(t.ratio(), 2) << " | "
            << fixed(t.ratio_with_render(), 2) << " | " << r.first_event_tokens << " | " << fixed(r.ms_per_token())
            << " | " << fixed(r.others_cpu, 0) << " / " << fixed(t.raw_others_cpu, 0) << " |\n";
    }
    bool fallback = false;
    for (std::size_t i = 1; i < warm.turns.size(); ++i) fallback = fallback || warm.turns[i].run.ttft_fallback;
    if (fallback)
        out << "\n\\* No content block before the message ended (the output parser held the model's output back, "
               "e.g. as a possible tool call): TTFT is the first event after message_start, so the ratio measures "
               "generation, not the cache.\n";
    const auto& rc = warm.last_render;
    out << "\nMedian ratio, turns 2.." << warm.turns.size() << ": **" << fixed(v.median_ratio, 2) << "** (incl. render "
        << fixed(v.median_ratio_with_render, 2) << ") -> **" << verdict(v.target1) << "**\n\n"
        << "Render of the last turn (" << rc.tokens << " tokens, median of 5): " << fixed(rc.render_ms)
        << " ms, of which tokenizing its text " << fixed(rc.tokenize_ms) << " ms.\n\n";
}

void report_target2(std::ostream& out, const WarmSession& warm, const RestartResult& rs, const Verdicts& v) {
    const double warm2 = warm.turns[1].run.ttft_ms;
    auto samples = [](const std::vector<JobRun>& runs) {
        std::string out;
        for (const auto& r : runs) out += (out.empty() ? "" : ", ") + fixed(r.ttft_ms);
        return out;
    };
    auto row = [&](const std::string& name, const JobRun& r, const std::string& all) {
        out << "| " << name << " | " << r.prompt.size() << " | " << r.reused << " (" << engine::to_string(r.reused_from)
            << ") | " << r.new_tokens() << " | " << fixed(r.render_ms) << " | " << fixed(r.start_ms) << " | "
            << fixed(r.ttft_ms) << " | " << all << " | " << fixed(r.ttft_ms / warm2, 2) << " | "
            << fixed(r.others_cpu, 0) << " |\n";
    };
    out << "## Target 2: first turn after a restart <= 2 x warm follow-up\n\n"
        << "Restarted engines: the median of " << rs.restarts.size() << ", each on a fresh copy of the cache folder "
        << "turn 1's engine left at shutdown.\n\n"
        << "| turn 2 on | prompt | reused (tier) | computed | render ms | submit->start ms | TTFT ms | all TTFT "
           "samples ms | x warm | others' CPU % |\n|---|---|---|---|---|---|---|---|---|---|\n";
    row("warm session", warm.turns[1].run, fixed(warm.turns[1].run.ttft_ms));
    row("restarted engine (disk tier)", median_run(rs.restarts), samples(rs.restarts));
    row("restarted engine, files evicted from page cache (reference)", median_run(rs.evicted), samples(rs.evicted));
    row("engine without cache (cold, reference)", rs.cold, fixed(rs.cold.ttft_ms));
    bool same = rs.first_turn.output == warm.turns[0].run.output && rs.cold.output == warm.turns[1].run.output;
    for (const auto& r : rs.restarts) same = same && r.output == warm.turns[1].run.output;
    out << "\nRestart: **" << fixed(v.restart_factor, 2) << " x** warm -> **" << verdict(v.target2)
        << "**. Greedy outputs identical with and without cache: " << (same ? "yes" : "NO") << ". Disk tier after "
        << "the first engine's shutdown: " << rs.disk_files << " files, " << fixed(rs.disk_bytes / 1048576.0)
        << " MiB; reading and verifying the largest (" << fixed(rs.largest_file_bytes / 1048576.0) << " MiB) takes "
        << fixed(rs.read_verify_ms) << " ms with the file in the page cache.\n\n";
}

void report_target3(std::ostream& out, const std::vector<SideTurn>& side, const WarmSession& warm, const Verdicts& v) {
    out << "## Target 3: main turns keep >= 99% cached with a side request between turns\n\n"
        << "| turn | main prompt | reused (tier) | cached fraction | main TTFT ms | side prompt | side reused | "
           "side TTFT ms | others' CPU % (main) |\n|---|---|---|---|---|---|---|---|---|\n";
    bool same = true;
    for (std::size_t i = 0; i < side.size(); ++i) {
        const auto& m = side[i].main;
        same = same && m.output == warm.turns[i].run.output;
        out << "| " << i + 1 << " | " << m.prompt.size() << " | " << m.usage.cache_read_input_tokens << " ("
            << engine::to_string(m.reused_from) << ") | " << percent(m.cached_fraction()) << " | " << fixed(m.ttft_ms)
            << " | ";
        if (side[i].side)
            out << side[i].side->prompt.size() << " | " << side[i].side->reused << " | "
                << fixed(side[i].side->ttft_ms);
        else
            out << "- | - | -";
        out << " | " << fixed(m.others_cpu, 0) << " |\n";
    }
    out << "\nLowest cached fraction, turns 2.." << side.size() << ": **" << percent(v.min_cached) << "** -> **"
        << verdict(v.target3) << "**. Main outputs identical to the warm session: " << (same ? "yes" : "NO") << "\n\n";
}

// Other processes' share of the machine over every timed phase: were the figures disturbed?
std::string contention(const WarmSession& warm, const RestartResult& rs, const std::vector<SideTurn>& side) {
    std::vector<double> all;
    for (const auto& t : warm.turns) {
        all.push_back(t.run.others_cpu);
        all.push_back(t.raw_others_cpu);
    }
    for (const auto& r : rs.restarts) all.push_back(r.others_cpu);
    for (const auto& r : rs.evicted) all.push_back(r.others_cpu);
    all.push_back(rs.cold.others_cpu);
    for (const auto& t : side) all.push_back(t.main.others_cpu);
    return "Other processes used " + fixed(median(all), 0) +
           "% of the machine on median during the timed phases (max " +
           fixed(*std::max_element(all.begin(), all.end()), 0) + "%).";
}

void report_summary(std::ostream& out, const Verdicts& v, const std::string& contention_note) {
    out << "## Summary\n\n| target | measured | goal | result |\n|---|---|---|---|\n"
        << "| 1. follow-up TTFT / physical limit (median, turns 2..N) | " << fixed(v.median_ratio, 2) << " | <= 1.15 | "
        << verdict(v.target1) << " |\n"
        << "| 2. restart TTFT / warm follow-up TTFT | " << fixed(v.restart_factor, 2) << " | <= 2 | "
        << verdict(v.target2) << " |\n"
        << "| 3. lowest cached fraction with side requests | " << percent(v.min_cached) << " | >= 99% | "
        << verdict(v.target3) << " |\n\n"
        << contention_note << "\n";
}

void csv_row(std::ostream& out, const std::string& scenario, int turn, const std::string& kind, const JobRun& r,
             std::optional<std::size_t> depth = {}, double limit_ms = 0, double prefill_ms = 0,
             std::optional<double> raw_others_cpu = {}) {
    out << scenario << "," << turn << "," << kind << "," << r.prompt.size() << ","
        << (depth ? std::to_string(*depth) : "") << "," << r.reused << "," << engine::to_string(r.reused_from) << ","
        << r.new_tokens() << "," << fixed(r.render_ms, 3) << "," << fixed(r.start_ms, 3) << "," << fixed(r.ttft_ms, 3)
        << "," << (r.ttft_fallback ? 1 : 0) << "," << (prefill_ms > 0 ? fixed(prefill_ms, 3) : "") << ","
        << (limit_ms > 0 ? fixed(limit_ms, 3) : "") << "," << (limit_ms > 0 ? fixed(r.ttft_ms / limit_ms, 4) : "")
        << "," << fixed(r.total_ms, 3) << "," << r.output.size() << "," << fixed(r.cached_fraction(), 5) << ","
        << r.first_event_tokens << "," << fixed(r.ms_per_token(), 3) << "," << fixed(r.others_cpu, 1) << ","
        << (raw_others_cpu ? fixed(*raw_others_cpu, 1) : "") << "\n";
}

void write_csv(std::ostream& out, const WarmSession& warm, const RestartResult& rs, const std::vector<SideTurn>& side) {
    out << "scenario,turn,kind,prompt_tokens,depth,reused_tokens,reused_from,computed_tokens,render_ms,start_ms,"
           "ttft_ms,ttft_fallback,raw_prefill_ms,limit_ms,ratio,total_ms,output_tokens,cached_fraction,"
           "first_event_tokens,ms_per_token,others_cpu_pct,raw_others_cpu_pct\n";
    for (const auto& t : warm.turns)
        csv_row(out, "warm", t.turn, "main", t.run, t.depth, t.limit_ms, t.prefill_ms, t.raw_others_cpu);
    csv_row(out, "restart", 1, "main", rs.first_turn);
    for (const auto& r : rs.restarts) csv_row(out, "restart", 2, "main", r);
    for (const auto& r : rs.evicted) csv_row(out, "restart_evicted", 2, "main", r);
    csv_row(out, "cold", 2, "main", rs.cold);
    for (std::size_t i = 0; i < side.size(); ++i) {
        if (side[i].side) csv_row(out, "side_session", static_cast<int>(i) + 1, "side", *side[i].side);
        csv_row(out, "side_session", static_cast<int>(i) + 1, "main", side[i].main);
    }
}

void save(const fs::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + path.string());
}

// The run's scratch folder (cache folders of every engine), removed however the run ends.
struct TempRoot {
    fs::path path = fs::temp_directory_path() / ("anyclaude-engine-bench-" + std::to_string(::getpid()));
    TempRoot() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempRoot() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

int run_bench(BenchOptions o) {
    if (o.threads <= 0) o.threads = online_cpus();
    spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));  // stdout is for the report
    spdlog::set_level(o.verbose ? spdlog::level::info : spdlog::level::warn);
    // llama.cpp's common library warns on every unparsable random-model output; keep errors only.
    if (!o.verbose) common_log_set_verbosity_thold(LOG_LEVEL_ERROR);
    std::string load_before = load_average();
    TempRoot scratch;
    const fs::path& tmp = scratch.path;

    std::optional<Workload> workload;
    WarmSession warm;
    std::string description;
    std::size_t stable_prefix = 0;
    {
        engine::Engine eng(engine_options(o, (tmp / "warm").string()));
        description = eng.model().description();
        workload = build_workload(eng, o);
        auto first = eng.renderer().render(workload->first.request);
        if (first) stable_prefix = first->stable_prefix;
        std::cerr << "prompt: " << workload->first.tokens << " tokens (" << workload->first.fixture_tokens
                  << " from the fixture)\n";
        warm = run_warm_session(eng, *workload, o);
    }
    RestartResult restart = run_restart(warm, o, tmp);
    std::vector<SideTurn> side = run_side_session(warm, *workload, o, tmp);

    Verdicts v = judge(warm, restart, side);
    ReportContext ctx{o, description, load_before, load_average(), *workload, stable_prefix};
    std::ostringstream report;
    report_header(report, ctx);
    report_target1(report, warm, v);
    report_target2(report, warm, restart, v);
    report_target3(report, side, warm, v);
    report_summary(report, v, contention(warm, restart, side));
    std::cout << report.str();

    std::ostringstream csv;
    write_csv(csv, warm, restart, side);
    fs::create_directories(o.results_dir);
    std::string stem = "engine_bench-" + utc_stamp();
    save(fs::path(o.results_dir) / (stem + ".md"), report.str());
    save(fs::path(o.results_dir) / (stem + ".csv"), csv.str());
    std::cerr << "wrote " << o.results_dir << "/" << stem << ".{md,csv}\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run_bench(parse_args(argc, argv));
    } catch (const std::exception& e) {
        std::cerr << "anyclaude-engine-bench: " << e.what() << "\n";
        return 1;
    }
}
