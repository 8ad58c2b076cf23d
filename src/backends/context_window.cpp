// Context windows: the probe table and the shared arithmetic (see context_window.hpp). Each
// reader takes the JSON text an endpoint answers with, in the shape its source documents; an
// answer in any other shape (LM Studio answers 200 {"error":"Unexpected endpoint..."} to paths
// it does not have) yields nothing, and the next probe is tried.
#include "backends/context_window.hpp"

#include <algorithm>
#include <cctype>

#include "common/json.hpp"

namespace anyclaude::backends {

namespace {

using json::bj::array;
using json::bj::object;

std::optional<object> parse_object(std::string_view body) {
    auto parsed = json::parse(body);
    if (!parsed.ok() || !parsed.value.is_object()) return std::nullopt;
    return std::move(parsed.value.get_object());
}

std::optional<int64_t> positive(std::optional<int64_t> v) {
    if (v && *v > 0) return v;
    return std::nullopt;
}

// The entry of a model list that is `model` (by `key`); without a match, the only entry
// `usable` admits (a server with one model answers for it whatever the name).
const object* pick(const array& list, const std::string& model, const char* key, bool (*usable)(const object&)) {
    const object* only = nullptr;
    int usable_count = 0;
    for (const auto& v : list) {
        const auto* o = v.if_object();
        if (!o || !usable(*o)) continue;
        if (const auto* id = json::find_string(*o, key); id && !model.empty() && *id == model) return o;
        only = o;
        ++usable_count;
    }
    return usable_count == 1 ? only : nullptr;
}

bool any(const object&) { return true; }

// llama-server GET /props: {"default_generation_settings":{"n_ctx":8192,...},"total_slots":1,...}.
// n_ctx there is a slot's context, the limit its exceed_context_size_error checks.
std::optional<int64_t> llama_props(std::string_view body, const std::string&) {
    auto o = parse_object(body);
    if (!o) return std::nullopt;
    const auto* settings = json::find_object(*o, "default_generation_settings");
    return settings ? positive(json::find_int(*settings, "n_ctx")) : std::nullopt;
}

// LM Studio GET /api/v0/models: {"data":[{"id":..,"state":"loaded"|"not-loaded",
// "max_context_length":..,"loaded_context_length":..}]}. Only a loaded model's context is the
// one in effect (max_context_length is what the model could be loaded with).
std::optional<int64_t> lmstudio_models(std::string_view body, const std::string& model) {
    auto o = parse_object(body);
    const auto* data = o ? json::find_array(*o, "data") : nullptr;
    if (!data) return std::nullopt;
    auto loaded = [](const object& m) {
        const auto* state = json::find_string(m, "state");
        return state && *state == "loaded";
    };
    const auto* m = pick(*data, model, "id", loaded);
    return m ? positive(json::find_int(*m, "loaded_context_length")) : std::nullopt;
}

// Ollama's names carry a tag; "qwen3" is "qwen3:latest".
bool same_ollama_model(std::string_view a, const std::string& b) {
    return a == b || (b.find(':') == std::string::npos && a == b + ":latest");
}

// Ollama GET /api/ps: {"models":[{"name":"qwen3:8b","model":"qwen3:8b",...,"context_length":8192}]}:
// the num_ctx a running model was loaded with, which its OpenAI endpoint truncates to.
std::optional<int64_t> ollama_ps(std::string_view body, const std::string& model) {
    auto o = parse_object(body);
    const auto* models = o ? json::find_array(*o, "models") : nullptr;
    if (!models) return std::nullopt;
    for (const auto& v : *models) {
        const auto* m = v.if_object();
        const auto* name = m ? json::find_string(*m, "name") : nullptr;
        if (name && (model.empty() ? models->size() == 1 : same_ollama_model(*name, model)))
            return positive(json::find_int(*m, "context_length"));
    }
    return std::nullopt;
}

// Ollama POST /api/show {"model":..}: "parameters" is Modelfile text, one "name value" a line;
// a num_ctx there is the context the model is run with. (model_info's "<arch>.context_length"
// is the training context, not the one in effect, so it is not used.)
std::optional<int64_t> ollama_show(std::string_view body, const std::string&) {
    auto o = parse_object(body);
    const auto* params = o ? json::find_string(*o, "parameters") : nullptr;
    if (!params || !json::find_object(*o, "model_info")) return std::nullopt;
    std::string_view text(*params);
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = std::min(text.find('\n', at), text.size());
        std::string_view line = text.substr(at, end - at);
        if (line.rfind("num_ctx", 0) == 0 && line.size() > 7 && std::isspace(static_cast<unsigned char>(line[7]))) {
            std::size_t first = line.find_first_not_of(" \t", 7);
            if (first == std::string_view::npos) return std::nullopt;
            auto digits = line.substr(first);
            int64_t v = 0;
            std::size_t i = 0;
            for (; i < digits.size() && i < 12 && std::isdigit(static_cast<unsigned char>(digits[i])); ++i)
                v = v * 10 + (digits[i] - '0');
            return i > 0 ? positive(v) : std::nullopt;
        }
        at = end + 1;
    }
    return std::nullopt;
}

// GET /v1/models entry for the model (vLLM, SGLang, llama-server: {"data":[{"id":..,...}]}).
const object* listed_model(std::string_view body, const std::string& model, std::optional<object>& holder) {
    holder = parse_object(body);
    const auto* data = holder ? json::find_array(*holder, "data") : nullptr;
    return data ? pick(*data, model, "id", any) : nullptr;
}

// vLLM and SGLang: {"data":[{"id":..,"max_model_len":32768,...}]}: the limit both check.
std::optional<int64_t> max_model_len(std::string_view body, const std::string& model) {
    std::optional<object> holder;
    const auto* m = listed_model(body, model, holder);
    return m ? positive(json::find_int(*m, "max_model_len")) : std::nullopt;
}

// llama-server: {"data":[{"id":..,"meta":{"n_ctx_train":131072,...}}]}: the training context,
// an upper bound only (the server may run smaller), hence last, after /props.
std::optional<int64_t> llama_models_meta(std::string_view body, const std::string& model) {
    std::optional<object> holder;
    const auto* m = listed_model(body, model, holder);
    const auto* meta = m ? json::find_object(*m, "meta") : nullptr;
    return meta ? positive(json::find_int(*meta, "n_ctx_train")) : std::nullopt;
}

}  // namespace

const std::vector<WindowProbe>& window_probes() {
    // SGLang's /get_model_info (model_path, tokenizer_path, is_generation, ...) carries no window;
    // its /v1/models max_model_len does. MLX-LM exposes none: the context-window setting.
    static const std::vector<WindowProbe> table = {
        // Ollama's OpenAI endpoint cannot set num_ctx and drops old messages to fit it: truncates.
        {"llama-server", "GET", "/props", false, "llama-server /props", false, llama_props},
        {"LM Studio", "GET", "/api/v0/models", false, "LM Studio /api/v0/models loaded_context_length", false,
         lmstudio_models},
        {"Ollama", "GET", "/api/ps", false, "Ollama /api/ps context_length", true, ollama_ps},
        {"Ollama", "POST", "/api/show", false, "Ollama /api/show num_ctx", true, ollama_show},
        {"vLLM or SGLang", "GET", "/models", true, "vLLM/SGLang /v1/models max_model_len", false, max_model_len},
        {"llama-server", "GET", "/models", true, "llama-server /v1/models meta.n_ctx_train", false, llama_models_meta},
    };
    return table;
}

std::string probe_body(const WindowProbe& probe, const std::string& model) {
    if (std::string_view(probe.method) != "POST") return {};
    std::string out;
    json::Writer w(out);
    w.begin_object().key("model").value(model).end_object();
    return out;
}

int64_t fit_max_tokens(int64_t requested, int64_t prompt_tokens, int64_t window) {
    int64_t n = requested;
    if (window > 0) n = std::min(n, window - prompt_tokens);
    return std::max<int64_t>(n, 1);
}

bool clearly_over(int64_t estimate, int64_t window) { return window > 0 && estimate * 4 > window * 5; }

std::chrono::milliseconds commit_grace(int64_t estimate, int64_t window, std::chrono::milliseconds grace,
                                       std::chrono::milliseconds near_grace) {
    const int64_t w = window > 0 ? window : kDefaultContextWindow;
    return estimate * 4 >= w * 3 ? std::max(grace, near_grace) : grace;
}

}  // namespace anyclaude::backends
