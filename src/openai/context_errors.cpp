// The table of backends' context-length errors (see context_errors.hpp). Wordings are from the
// backends' sources and trackers (../shared/BACKENDS.md): matched in lower case, with {n} the
// prompt's tokens, {m} the window and {x} a number that is read past but not kept.
#include "openai/context_errors.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/json.hpp"
#include "openai/upstream_error_body.hpp"

namespace anyclaude::openai {

namespace {

// prompt: the wording says the prompt alone is over; compare: the numbers say (N >= M: the
// prompt alone is over, else only prompt + max_tokens is), for wordings that check the sum.
enum class Verdict { prompt, compare };

struct Shape {
    const char* backend;
    const char* wording;  // lower case; {n} {m} {x} are whole numbers
    Verdict verdict;
    bool json_counts;     // N and M are the error object's n_prompt_tokens and n_ctx (llama-server)
};

const std::vector<Shape>& shapes() {
    static const std::vector<Shape> table = {
        // llama-server: {"error":{"code":400,"type":"exceed_context_size_error","message":"the request
        // exceeds the available context size, try increasing it","n_prompt_tokens":N,"n_ctx":M}}
        {"llama-server", "exceeds the available context size", Verdict::prompt, true},
        // vLLM up to 0.9: N + max_tokens in one sum, its parts in parentheses.
        {"vLLM", "maximum context length is {m} tokens. however, you requested {x} tokens ({n} in the messages, {x} in the completion)",
         Verdict::compare, false},
        // vLLM since 0.10 (serving_engine._validate_input): the prompt alone, then max_tokens.
        {"vLLM", "maximum context length is {m} tokens. however, your request has {n} input tokens", Verdict::prompt, false},
        {"vLLM", "maximum context length is {m} tokens and your request has {n} input tokens", Verdict::compare, false},
        // OpenAI's own wording (some hosted OpenAI-compatible APIs copy it).
        {"OpenAI", "maximum context length is {m} tokens. however, your messages resulted in {n} tokens", Verdict::compare,
         false},
        // SGLang: the prompt alone, and the sum with max_tokens.
        {"SGLang", "the input ({n} tokens) is longer than the model's context length ({m} tokens)", Verdict::prompt, false},
        {"SGLang", "maximum context length of {m} tokens. you requested a total of {x} tokens: {n} tokens from the input messages",
         Verdict::compare, false},
        // An Anthropic-shaped backend (another gateway) already in our wording.
        {"Anthropic", "prompt is too long: {n} tokens > {m} maximum", Verdict::prompt, false},
        // LM Studio (a plain-string error): "The number of tokens to keep from the initial prompt is
        // greater than the context length. Try to load the model with a larger context length."
        {"LM Studio", "greater than the context length", Verdict::prompt, false},
        // Ollama (when even dropping old messages does not make it fit): "the prompt is longer than
        // the context length currently available to the model; ..."; its runner: "the input length
        // exceeds the context length".
        {"Ollama", "prompt is longer than the context length", Verdict::prompt, false},
        {"Ollama", "input length exceeds the context length", Verdict::prompt, false},
        // Wordings without numbers, last: they also occur inside the ones above.
        {"llama-server", "exceed_context_size", Verdict::prompt, true},
        {"unknown", "maximum context length", Verdict::prompt, false},
        {"unknown", "context length exceeded", Verdict::prompt, false},
        {"unknown", "context_length_exceeded", Verdict::prompt, false},
        {"unknown", "prompt is too long", Verdict::prompt, false},
    };
    return table;
}

std::string lower(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
    return r;
}

struct Numbers {
    std::optional<int64_t> n, m;
};

// Matches `wording` at `at` in text: literal parts exactly, {n}/{m}/{x} as runs of digits.
std::optional<Numbers> match_at(std::string_view text, std::size_t at, std::string_view wording) {
    Numbers got;
    std::size_t i = at, w = 0;
    while (w < wording.size()) {
        if (wording[w] == '{' && w + 2 < wording.size() && wording[w + 2] == '}') {
            std::size_t start = i;
            int64_t v = 0;
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && i - start < 15)
                v = v * 10 + (text[i++] - '0');
            if (i == start) return std::nullopt;
            if (wording[w + 1] == 'n') got.n = v;
            if (wording[w + 1] == 'm') got.m = v;
            w += 3;
        } else {
            if (i >= text.size() || text[i] != wording[w]) return std::nullopt;
            ++i, ++w;
        }
    }
    return got;
}

// The first place the wording matches: found by its text up to the first number.
std::optional<Numbers> find_wording(std::string_view text, std::string_view wording) {
    std::string_view head = wording.substr(0, wording.find('{'));
    for (std::size_t at = text.find(head); at != std::string_view::npos; at = text.find(head, at + 1))
        if (auto got = match_at(text, at, wording)) return got;
    return std::nullopt;
}

// llama-server's n_prompt_tokens and n_ctx, from {"error":{...}}.
Numbers json_counts(std::string_view body) {
    Numbers out;
    auto parsed = json::parse(body);
    if (!parsed.ok() || !parsed.value.is_object()) return out;
    const auto* err = json::find_object(parsed.value.get_object(), "error");
    if (!err) return out;
    out.n = json::find_int(*err, "n_prompt_tokens");
    out.m = json::find_int(*err, "n_ctx");
    return out;
}

}  // namespace

std::optional<ContextOverflow> context_overflow(std::string_view body) {
    std::string message = error_message_from_body(body);
    std::string text = lower(message.empty() ? body : std::string_view(message));
    for (const auto& shape : shapes()) {
        auto numbers = find_wording(text, shape.wording);
        if (!numbers) continue;
        if (shape.json_counts) numbers = json_counts(body);
        ContextOverflow out;
        out.backend = shape.backend;
        out.prompt_tokens = numbers->n;
        out.window = numbers->m;
        const bool over = out.prompt_tokens && out.window && *out.prompt_tokens >= *out.window;
        if (shape.verdict == Verdict::compare && !over)
            out.kind = ContextOverflow::Kind::output;
        return out;
    }
    return std::nullopt;
}

}  // namespace anyclaude::openai
