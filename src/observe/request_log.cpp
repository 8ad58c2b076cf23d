// The request log (see request_log.hpp). Lines are appended with one fwrite+fflush under a lock
// on the I/O thread: a few microseconds for a ~400-byte line (bench/gateway_overhead.mjs measures
// the whole observation path against none; README "Request log" has the numbers).
#include "observe/request_log.hpp"

#include <ctime>

namespace anyclaude::observe {

namespace {

std::string iso_time(double epoch_ms) {
    const auto secs = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(static_cast<int64_t>(epoch_ms) % 1000));
    return buf;
}

void opt_number(json::Writer& j, const char* key, const std::optional<double>& v) {
    if (v) j.key(key).value(*v);
}

void opt_text(json::Writer& j, const char* key, const std::string& v) {
    if (!v.empty()) j.key(key).value(v);
}

}  // namespace

std::string log_line(const RequestSummary& s) {
    std::string out;
    json::Writer j(out);
    j.begin_object();
    j.key("time").value(iso_time(s.arrived_epoch_ms));
    j.key("route").value(s.route);
    opt_text(j, "session", s.session);
    opt_text(j, "model_asked", s.model_asked);
    opt_text(j, "model_served", s.model_served);
    opt_text(j, "backend", s.backend);
    j.key("status").value(static_cast<int64_t>(s.status));
    opt_text(j, "stop_reason", s.stop_reason);
    opt_number(j, "ttft_ms", s.ttft_ms);
    j.key("total_ms").value(s.total_ms);
    if (s.usage_object) {
        j.key("input_tokens").value(s.usage.input_tokens);
        j.key("cache_read_input_tokens").value(s.usage.cache_read_input_tokens);
        j.key("cache_creation_input_tokens").value(s.usage.cache_creation_input_tokens);
        j.key("output_tokens").value(s.usage.output_tokens);
    }
    if (!s.tier.empty()) {
        j.key("tier").value(s.tier);
        j.key("reused_tokens").value(s.reused_tokens);
    }
    opt_number(j, "queue_wait_ms", s.queue_wait_ms);
    opt_number(j, "prefill_tps", s.prefill_tps);
    opt_number(j, "decode_tps", s.decode_tps);
    j.key("client_disconnect").value(s.client_disconnect);
    opt_text(j, "error_type", s.error_type);
    opt_text(j, "error", s.error.substr(0, 200));
    j.end_object();
    return out;
}

std::shared_ptr<RequestLog> RequestLog::open(const std::string& path, std::string* why) {
    std::shared_ptr<RequestLog> log(new RequestLog());
    if (path.empty()) return log;
    log->file_ = std::fopen(path.c_str(), "a");
    if (!log->file_) {
        *why = "--request-log " + path + ": cannot open for appending";
        return nullptr;
    }
    return log;
}

RequestLog::~RequestLog() {
    if (file_) std::fclose(file_);
}

void RequestLog::end(const RequestSummary& s, const std::shared_ptr<void>&) {
    if (!s.is_api()) return;  // scrapes, health checks and the status page's polls are not requests of a session
    std::string line = log_line(s);
    std::lock_guard lk(mu_);
    if (file_) {
        std::fwrite(line.data(), 1, line.size(), file_);
        std::fputc('\n', file_);
        std::fflush(file_);
    }
    recent_.push_back(std::move(line));
    if (recent_.size() > 200) recent_.pop_front();
}

std::vector<std::string> RequestLog::recent(std::size_t n) const {
    std::lock_guard lk(mu_);
    std::size_t from = recent_.size() > n ? recent_.size() - n : 0;
    return {recent_.begin() + static_cast<std::ptrdiff_t>(from), recent_.end()};
}

}  // namespace anyclaude::observe
