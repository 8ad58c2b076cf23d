// Claude Code's environment for a local window (see claude_env.hpp). All figures below are
// Claude Code 2.1.328's, from ../shared/research/claude-code-compaction.md.
#include "app/claude_env.hpp"

#include <algorithm>

#include "common/json.hpp"

namespace anyclaude::app {

namespace {

// Claude Code reserves this much beyond the answer before it compacts ("T = W - R - 13000") [V].
constexpr int64_t kClaudeReserve = 13000;
// It reserves at most this much for the answer: min(maxOutputTokens, 20000) [S].
constexpr int64_t kOutputReserveCap = 20000;
// CLAUDE_CODE_AUTO_COMPACT_WINDOW reads anything smaller as 100k ("treats it as the 100k
// minimum") [V].
constexpr int64_t kAutoCompactWindowMin = 100000;

// How much of the window is kept free above the compaction threshold besides the answer. Claude
// Code's own 13000 is sized for 200k-1M windows; at 32k, with its ~12k-token prompt, it would leave
// ~3.6k for the conversation (T = 15672 [V]). The research's note: declare a window of
// C + 13000 - 4096 at 32k, so T = C - R - 4096 (~12k of conversation) and the rare overshoot is
// answered by the gateway's "prompt is too long: N tokens > M maximum", after which Claude Code
// compacts and resends [V]. 4096 still holds the ~1.7k-token compaction instruction plus the
// error of Claude Code's 3-4 bytes-per-token estimate of the newest messages. At 64k Claude Code's
// own reserve was verified to work (a 20-file read loop compacted back to ~33k each time, no
// thrash) [V], so from there on the window is declared as it is. In between: a straight line, so
// a bigger window never compacts earlier than a smaller one.
struct MarginPoint {
    int64_t window;
    int64_t margin;
};
constexpr MarginPoint kMargins[] = {{32768, 4096}, {65536, kClaudeReserve}};

int64_t margin_for(int64_t window) {
    const auto& lo = kMargins[0];
    const auto& hi = kMargins[std::size(kMargins) - 1];
    if (window <= lo.window) return lo.margin;
    if (window >= hi.window) return hi.margin;
    return lo.margin + (window - lo.window) * (hi.margin - lo.margin) / (hi.window - lo.window);
}

// The answer's budget: an eighth of the window (the research's 4096 / 8192 / 16384 at
// 32k / 64k / 128k), at least 4096 (a file written by the Write tool is an answer), at most
// 20000: Claude Code keeps only min(maxOutputTokens, 20000) free for the answer [S], so a larger
// max_tokens could outgrow the room it leaves above the threshold.
int64_t output_for(int64_t window) { return std::clamp<int64_t>(window / 8, 4096, kOutputReserveCap); }

std::string kTokens(int64_t n) { return n >= 10000 ? std::to_string((n + 500) / 1000) + "k" : std::to_string(n); }

// Adds name=value unless the user set the variable (then the user's value is kept).
void offer(ClaudeEnvPlan& p, const ClaudeEnvInput& in, const std::string& name, const std::string& value) {
    if (const char* mine = in.user_env ? in.user_env(name.c_str()) : nullptr) {
        p.kept.push_back(name + "=" + mine);
        return;
    }
    p.set.emplace_back(name, value);
}

// The route that keeps Claude ids: their window is built in (1M / 200k) and ignores
// CLAUDE_CODE_MAX_CONTEXT_TOKENS [V], so the threshold comes from CLAUDE_CODE_AUTO_COMPACT_WINDOW
// (>= 100k) lowered by CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: T = min(floor((W - R) * p / 100), W - R - 13000)
// [V: W 100000 with p 25 compacted at ~20k]. Returns the threshold reached.
int64_t plan_claude_ids(ClaudeEnvPlan& p, const ClaudeEnvInput& in, const WindowSizes& s) {
    const int64_t reserve = std::min(s.output, kOutputReserveCap);
    if (s.declared >= kAutoCompactWindowMin) {
        offer(p, in, "CLAUDE_CODE_AUTO_COMPACT_WINDOW", std::to_string(s.declared));
        return s.declared - reserve - kClaudeReserve;
    }
    const int64_t room = kAutoCompactWindowMin - reserve;
    const int64_t pct = std::max<int64_t>(1, s.threshold * 100 / room);
    offer(p, in, "CLAUDE_CODE_AUTO_COMPACT_WINDOW", std::to_string(kAutoCompactWindowMin));
    offer(p, in, "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE", std::to_string(pct));
    return room * pct / 100;
}

// The default route: the local id everywhere, so Claude Code's "unknown-model" source applies and
// CLAUDE_CODE_MAX_CONTEXT_TOKENS is its window [V]; the class aliases too, so `/model sonnet` and
// haiku-class side requests stay local [V: --model sonnet then sent the local id].
void plan_local_ids(ClaudeEnvPlan& p, const ClaudeEnvInput& in) {
    if (in.model.empty()) return;
    const std::string& small = in.small_model.empty() ? in.model : in.small_model;
    offer(p, in, "ANTHROPIC_MODEL", in.model);
    offer(p, in, "ANTHROPIC_DEFAULT_OPUS_MODEL", in.model);
    offer(p, in, "ANTHROPIC_DEFAULT_SONNET_MODEL", in.model);
    offer(p, in, "ANTHROPIC_DEFAULT_HAIKU_MODEL", small);
}

std::string kept_suffix(const ClaudeEnvPlan& p) {
    if (p.kept.empty()) return {};
    std::string s = "; yours kept:";
    for (const auto& k : p.kept) s += " " + k;
    return s;
}

}  // namespace

WindowSizes window_sizes(int64_t window) {
    WindowSizes s{};
    s.output = output_for(window);
    s.declared = window + kClaudeReserve - margin_for(window);
    s.threshold = s.declared - std::min(s.output, kOutputReserveCap) - kClaudeReserve;
    return s;
}

std::optional<BackendReport> parse_backend_report(std::string_view text, std::string* error) {
    auto parsed = json::parse(text);
    if (!parsed.ok() || !parsed.value.is_object()) {
        if (error) *error = parsed.ok() ? "not a JSON object" : parsed.error;
        return std::nullopt;
    }
    const auto& o = parsed.value.get_object();
    const auto* reachable = o.if_contains("reachable");
    if (!reachable || !reachable->is_bool()) {
        if (error) *error = "no boolean \"reachable\"";
        return std::nullopt;
    }
    BackendReport r;
    r.reachable = reachable->get_bool();
    auto text_of = [&](const char* key) {
        const auto* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    r.model = text_of("model");
    r.window_source = text_of("window_source");
    r.problem = text_of("problem");
    r.fix = text_of("fix");
    if (const auto* w = o.if_contains("context_window")) {
        if (w->is_int64() && w->get_int64() > 0) r.context_window = w->get_int64();
        else if (w->is_uint64()) r.context_window = static_cast<int64_t>(std::min<uint64_t>(w->get_uint64(), INT64_MAX));
    }
    return r;
}

ClaudeEnvPlan plan_claude_env(const ClaudeEnvInput& in) {
    ClaudeEnvPlan p;
    if (!in.claude_ids) plan_local_ids(p, in);
    const std::string who = in.model.empty() ? std::string("the model") : in.model;
    const std::string source = in.window_source.empty() ? "" : " (" + in.window_source + ")";
    if (!in.window) {
        // Nothing tells the window: Claude Code then assumes 1M for an unknown id and compacts
        // when the backend refuses a prompt as too long (the gateway's 400) [V].
        p.notice = "anyclaude: the backend does not say " + who + "'s context window" + source +
                   "; Claude Code compacts only once a prompt is refused as too long (tell anyclaude the window: "
                   "--context-window N)" + kept_suffix(p);
        return p;
    }
    const int64_t window = *in.window;
    if (window < kMinWindow && !in.allow_small_window) {
        p.error = "anyclaude: " + who + "'s context window is " + std::to_string(window) +
                  " tokens" + source + ", too small for Claude Code: its first exchange alone (~12k tokens of its own prompt and tools, plus the answer) needs " +
                  std::to_string(kMinWindow) + " or more (\"A single-exchange conversation cannot be compacted\"). Fix: " +
                  (in.enlarge_hint.empty() ? "give the model a larger context" : in.enlarge_hint) +
                  " (or --allow-small-window true to start it anyway)";
        return p;
    }
    const WindowSizes s = window_sizes(window);
    offer(p, in, "CLAUDE_CODE_MAX_OUTPUT_TOKENS", std::to_string(s.output));
    int64_t threshold = s.threshold;
    if (in.claude_ids) threshold = plan_claude_ids(p, in, s);
    else offer(p, in, "CLAUDE_CODE_MAX_CONTEXT_TOKENS", std::to_string(s.declared));
    p.notice = "anyclaude: Claude Code gets " + who + "'s " + std::to_string(window) + "-token window" + source +
               ": answers up to " + std::to_string(s.output) + " tokens, compaction from ~" + kTokens(threshold) +
               " tokens" + (in.claude_ids ? " (Claude model ids kept)" : "") + kept_suffix(p);
    if (window < kTightWindow)
        p.warning = "anyclaude: warning: " + kTokens(window) +
                    " tokens is tight for Claude Code: its own prompt takes ~12k, and after each compaction it re-reads up to 5 recent files, which can refill the window (\"Autocompact is thrashing\"). For long sessions use 65536 or more: " +
                    (in.enlarge_hint.empty() ? "give the model a larger context" : in.enlarge_hint);
    return p;
}

}  // namespace anyclaude::app
