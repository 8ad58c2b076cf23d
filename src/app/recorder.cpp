// Request recording (see recorder.hpp): a ResponseWriter decorator observes the answer on the
// I/O thread (status, the first content event, the usage frames: a few string compares and
// copies of small frames); a writer thread redacts, writes the body files and the index.
#include "app/recorder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "app/redact.hpp"
#include "common/json.hpp"

namespace anyclaude::app {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Header names (lower case) or parts of names that carry credentials: never recorded.
// x-api-key and authorization are what Claude Code sends (../shared/fixtures README); the rest
// covers proxies and custom gateways (ANTHROPIC_CUSTOM_HEADERS).
bool recorded_header(std::string_view name) {
    static constexpr std::string_view secret_parts[] = {"key", "auth", "token", "secret", "cookie", "password"};
    for (auto part : secret_parts)
        if (name.find(part) != std::string_view::npos) return false;
    return true;
}

namespace {

// One request: what arrived, and (filled while answering) what went back.
struct Entry {
    uint64_t seq = 0;
    double arrived_epoch_ms = 0;
    Clock::time_point t0;
    std::string conn, method, target, body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<uint64_t> in_flight;
    unsigned status = 0;
    bool stream = false, complete = false;
    std::optional<double> ttft_ms;
    double total_ms = 0;
    std::string frames;     // the SSE frames that carry usage or an error (message_start/delta, error)
    std::string json_body;  // a whole-body answer (up to 64 KiB): usage or error
};

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Observes what the handler answers and passes everything through unchanged.
class RecordingWriter final : public http::ResponseWriter {
public:
    RecordingWriter(http::ResponseWriter& inner, Entry& e) : inner_(inner), e_(e) {}

    awaitable<void> send(unsigned status, std::string_view content_type, std::string&& body,
                         const std::vector<std::pair<std::string, std::string>>& headers) override {
        e_.status = status;
        if (body.size() <= (64u << 10)) e_.json_body = body;
        e_.complete = status == 200;
        co_await inner_.send(status, content_type, std::move(body), headers);
    }
    awaitable<void> start_stream(unsigned status, std::string_view content_type,
                                 const std::vector<std::pair<std::string, std::string>>& headers) override {
        e_.status = status;
        e_.stream = true;
        co_await inner_.start_stream(status, content_type, headers);
    }
    awaitable<bool> write_chunk(std::string_view data) override {
        observe(data);
        co_return co_await inner_.write_chunk(data);
    }
    awaitable<void> end_stream() override { co_await inner_.end_stream(); }
    awaitable<void> wait_client_gone() override { co_await inner_.wait_client_gone(); }
    void abort() override { inner_.abort(); }
    bool started() const override { return inner_.started(); }
    std::string peer() const override { return inner_.peer(); }

private:
    // TTFT as bench/session/client.mjs measures it: the first content_block_start or _delta.
    void observe(std::string_view data) {
        if (!e_.ttft_ms && (data.find("event: content_block_start") != std::string_view::npos ||
                            data.find("event: content_block_delta") != std::string_view::npos))
            e_.ttft_ms = ms_since(e_.t0);
        if (data.find("event: message_stop") != std::string_view::npos) e_.complete = true;
        static constexpr std::string_view kept[] = {"event: message_start", "event: message_delta", "event: error"};
        for (auto name : kept) {
            for (std::size_t at = data.find(name); at != std::string_view::npos; at = data.find(name, at + 1)) {
                std::size_t end = data.find("\n\n", at);
                e_.frames.append(data.substr(at, end == std::string_view::npos ? end : end - at));
                e_.frames += "\n\n";
            }
        }
    }
    http::ResponseWriter& inner_;
    Entry& e_;
};

// The usage object (and an error text) of a recorded answer.
struct Answer {
    std::optional<json::bj::object> usage;
    std::string error;
};

void merge_usage(const json::bj::value* u, Answer& a) {
    if (!u || !u->is_object()) return;
    if (!a.usage) a.usage.emplace();
    for (const auto& kv : u->get_object()) (*a.usage)[kv.key()] = kv.value();
}

void take_error(const json::bj::object& o, Answer& a) {
    if (const auto* err = json::find_object(o, "error"))
        if (const auto* m = json::find_string(*err, "message")) a.error = std::string(*m);
}

Answer read_answer(const Entry& e) {
    Answer a;
    if (!e.stream) {
        auto p = json::parse(e.json_body);
        if (!p.ok() || !p.value.is_object()) return a;
        const auto& o = p.value.get_object();
        merge_usage(json::find(o, "usage"), a);
        if (auto n = json::find_int(o, "input_tokens")) {  // count_tokens
            a.usage.emplace();
            (*a.usage)["input_tokens"] = *n;
        }
        take_error(o, a);
        return a;
    }
    std::string_view f(e.frames);
    for (std::size_t at = f.find("data: "); at != std::string_view::npos; at = f.find("data: ", at + 1)) {
        std::size_t end = f.find('\n', at);
        auto p = json::parse(f.substr(at + 6, end == std::string_view::npos ? end : end - at - 6));
        if (!p.ok() || !p.value.is_object()) continue;
        const auto& o = p.value.get_object();
        if (const auto* m = json::find_object(o, "message")) merge_usage(json::find(*m, "usage"), a);
        merge_usage(json::find(o, "usage"), a);
        take_error(o, a);
    }
    return a;
}

std::string index_line(const Entry& e, bool redacted, const std::string& file) {
    const Answer a = read_answer(e);
    std::string out;
    json::Writer j(out);
    j.begin_object();
    j.key("format").value(1);
    j.key("seq").value(static_cast<int64_t>(e.seq));
    j.key("file").value(file);
    j.key("arrived_epoch_ms").value(e.arrived_epoch_ms);
    j.key("conn").value(e.conn);
    j.key("method").value(e.method);
    j.key("target").value(e.target);
    j.key("headers").begin_object();
    for (const auto& [k, v] : e.headers) j.key(k).value(v);
    j.end_object();
    j.key("in_flight").begin_array();
    for (auto s : e.in_flight) j.value(static_cast<int64_t>(s));
    j.end_array();
    j.key("bytes").value(static_cast<int64_t>(e.body.size()));
    j.key("redacted").value(redacted);
    j.key("status").value(static_cast<int64_t>(e.status));
    j.key("stream").value(e.stream);
    j.key("ttft_ms");
    if (e.ttft_ms) j.value(*e.ttft_ms); else j.null();
    j.key("total_ms").value(e.total_ms);
    j.key("usage");
    if (a.usage) j.json(*a.usage); else j.null();
    j.key("complete").value(e.complete);
    if (!a.error.empty()) j.key("error").value(a.error);
    j.end_object();
    out += '\n';
    return out;
}

// The highest NNNNNN of DIR/requests/NNNNNN.json (0 when none): a restarted gateway goes on counting.
uint64_t last_seq(const fs::path& dir) {
    uint64_t last = 0;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(dir, ec)) {
        const std::string stem = f.path().stem().string();
        if (f.path().extension() == ".json" && !stem.empty() && stem.find_first_not_of("0123456789") == std::string::npos)
            last = std::max<uint64_t>(last, std::stoull(stem));
    }
    return last;
}

std::string file_name(uint64_t seq) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "requests/%06llu.json", static_cast<unsigned long long>(seq));
    return buf;
}

}  // namespace

struct Recorder::Impl {
    RecorderOptions opt;
    // Writer thread: jobs run in order.
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    bool stopping = false;
    std::thread thread;
    std::ofstream index;
    bool warned = false;
    // Request bookkeeping (I/O side).
    std::mutex seq_mu;
    uint64_t next_seq = 1;
    std::set<uint64_t> in_flight;

    ~Impl() {
        {
            std::lock_guard lk(mu);
            stopping = true;
        }
        cv.notify_one();
        if (thread.joinable()) thread.join();
    }

    void post(std::function<void()> job) {
        {
            std::lock_guard lk(mu);
            jobs.push_back(std::move(job));
        }
        cv.notify_one();
    }

    void run() {
        for (;;) {
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return stopping || !jobs.empty(); });
            if (jobs.empty()) return;  // stopping, and everything written
            auto job = std::move(jobs.front());
            jobs.pop_front();
            lk.unlock();
            job();
        }
    }

    void warn(const std::string& what) {
        if (!warned) spdlog::warn("recorder: {} (further errors not reported)", what);
        warned = true;
    }

    std::shared_ptr<Entry> begin(const http::Request& req, const std::string& peer);
    void finish(const std::shared_ptr<Entry>& e);
};

std::shared_ptr<Entry> Recorder::Impl::begin(const http::Request& req, const std::string& peer) {
    auto e = std::make_shared<Entry>();
    e->t0 = Clock::now();
    e->arrived_epoch_ms =
        std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
    e->conn = peer;
    e->method = std::string(req.method_string());
    e->target = std::string(req.target());
    for (const auto& h : req) {
        std::string name(h.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (recorded_header(name)) e->headers.emplace_back(std::move(name), std::string(h.value()));
    }
    e->body = req.body();  // the one copy on the request path (~0.1 ms for Claude Code's 80 KB)
    {
        std::lock_guard lk(seq_mu);
        e->seq = next_seq++;
        e->in_flight.assign(in_flight.begin(), in_flight.end());
        in_flight.insert(e->seq);
    }
    post([this, e] {
        const std::string body = opt.redact ? redact_body(e->body) : e->body;
        std::ofstream f(fs::path(opt.dir) / file_name(e->seq), std::ios::binary);
        f.write(body.data(), static_cast<std::streamsize>(body.size()));
        if (!f) warn("cannot write " + (fs::path(opt.dir) / file_name(e->seq)).string());
    });
    return e;
}

void Recorder::Impl::finish(const std::shared_ptr<Entry>& e) {
    e->total_ms = ms_since(e->t0);
    {
        std::lock_guard lk(seq_mu);
        in_flight.erase(e->seq);
    }
    post([this, e] {
        index << index_line(*e, opt.redact, file_name(e->seq)) << std::flush;
        if (!index) warn("cannot write " + opt.dir + "/index.jsonl");
    });
}

Recorder::Recorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Recorder::~Recorder() = default;

std::shared_ptr<Recorder> Recorder::open(const RecorderOptions& opt, std::string* why) {
    std::error_code ec;
    fs::create_directories(fs::path(opt.dir) / "requests", ec);
    if (ec) {
        *why = "--record " + opt.dir + ": " + ec.message();
        return nullptr;
    }
    auto impl = std::make_unique<Impl>();
    impl->opt = opt;
    impl->next_seq = last_seq(fs::path(opt.dir) / "requests") + 1;
    impl->index.open(fs::path(opt.dir) / "index.jsonl", std::ios::app | std::ios::binary);
    if (!impl->index) {
        *why = "--record " + opt.dir + ": cannot open index.jsonl";
        return nullptr;
    }
    impl->thread = std::thread([p = impl.get()] { p->run(); });
    return std::shared_ptr<Recorder>(new Recorder(std::move(impl)));
}

namespace {

// Finishes the entry however the handler ends (returned, threw, or its frame was destroyed).
struct Finish {
    std::shared_ptr<Recorder::Impl> impl;
    std::shared_ptr<Entry> e;
    ~Finish() { impl->finish(e); }
};

awaitable<void> record_one(const std::shared_ptr<Recorder::Impl>& impl_ref, const http::Handler& inner,
                           const http::Request& req, http::ResponseWriter& w) {
    Finish done{impl_ref, impl_ref->begin(req, w.peer())};
    RecordingWriter rw(w, *done.e);
    co_await inner(req, rw);
}

}  // namespace

http::Handler Recorder::wrap(http::Handler inner) {
    return [impl = impl_, inner = std::move(inner)](const http::Request& req, http::ResponseWriter& w) -> awaitable<void> {
        co_await record_one(impl, inner, req, w);
    };
}

}  // namespace anyclaude::app
