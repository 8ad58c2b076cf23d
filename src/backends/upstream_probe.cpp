// Probing an upstream server (see upstream_probe.hpp).
#include "backends/upstream_probe.hpp"

#include <map>
#include <optional>
#include <utility>

#include "common/json.hpp"

namespace anyclaude::backends {

http::ClientTimeouts probe_timeouts() {
    http::ClientTimeouts t;
    t.connect = std::chrono::seconds(1);
    t.first_byte = std::chrono::seconds(3);
    t.between_bytes = std::chrono::seconds(3);
    return t;
}

namespace {

struct Answer {
    bool sent = false;  // false: no HTTP answer at all (error says why)
    unsigned status = 0;
    std::string body;
    std::string error;
};

awaitable<Answer> ask(const http::Url& base, const std::string& api_key, const WindowProbe& probe,
                      const std::string& model, http::ConnectionPool* pool) {
    http::Url url = base;
    if (!probe.under_base) url.prefix.clear();
    http::OutgoingRequest req;
    req.method = std::string_view(probe.method) == "POST" ? bhttp::verb::post : bhttp::verb::get;
    req.path = probe.path;
    req.body = probe_body(probe, model);
    if (!api_key.empty()) req.headers.push_back({"Authorization", "Bearer " + api_key});
    Answer out;
    auto sent = co_await http::send_request(url, req, probe_timeouts(), pool);
    if (!sent.response) {
        out.error = sent.error;
        co_return out;
    }
    out.sent = true;
    out.status = sent.response->status();
    out.body = co_await sent.response->read_all(1u << 20);
    co_return out;
}

// The ids of {"data":[{"id":..},..]} (every OpenAI-compatible /models).
std::vector<std::string> listed_ids(std::string_view body) {
    std::vector<std::string> ids;
    auto parsed = json::parse(body);
    if (!parsed.ok() || !parsed.value.is_object()) return ids;
    if (const auto* data = json::find_array(parsed.value.get_object(), "data"))
        for (const auto& v : *data)
            if (const auto* o = v.if_object())
                if (const auto* id = json::find_string(*o, "id"); id && !id->empty()) ids.emplace_back(*id);
    return ids;
}

}  // namespace

awaitable<UpstreamProbe> probe_upstream(const http::Url& base, const std::string& api_key, const std::string& model,
                                        http::ConnectionPool* pool) {
    UpstreamProbe out;
    // One answer per endpoint: two rows read GET /models.
    std::map<std::pair<std::string, bool>, Answer> answers;
    const auto& probes = window_probes();
    auto answer_for = [&](const WindowProbe& p) -> awaitable<const Answer*> {
        auto key = std::make_pair(std::string(p.method) + " " + p.path, p.under_base);
        auto it = answers.find(key);
        if (it == answers.end()) it = answers.emplace(key, co_await ask(base, api_key, p, out.model, pool)).first;
        co_return &it->second;
    };
    const WindowProbe* listing = nullptr;
    for (const auto& p : probes)
        if (p.under_base && std::string_view(p.path) == "/models") listing = &p;
    const Answer* list = co_await answer_for(*listing);
    if (!list->sent) {
        out.error = list->error;
        co_return out;
    }
    out.reachable = true;
    if (list->status == 200) out.models = listed_ids(list->body);
    out.model = !model.empty() ? model : out.models.empty() ? std::string() : out.models.front();
    for (const auto& p : probes) {
        const Answer* a = co_await answer_for(p);
        if (!a->sent || a->status != 200) continue;
        if (auto tokens = p.read(a->body, out.model)) {
            out.window = {*tokens, p.source, p.truncates};
            break;
        }
    }
    // Image support from the answers already fetched (no request of its own).
    for (const auto& [key, a] : answers)
        if (!out.vision && !key.second && a.sent && a.status == 200)
            out.vision = vision_from_answer(key.first, a.body, out.model);
    co_return out;
}

namespace {

struct ModeText {
    const char* mode;
    const char* unreachable;   // + url: who is not answering
    const char* start_fix;     // how to start it
    const char* no_model;      // + url: who has no model
    const char* no_model_fix;  // how to give it one
};

const ModeText kModeTexts[] = {
    {"lmstudio", "LM Studio is not answering at ",
     "start LM Studio and load a model, or point anyclaude at your server with --backend-url URL",
     "no model is loaded in LM Studio at ", "load a model in LM Studio (or run: lms load <model>), or name one with --model ID"},
    {"mlx-lm", "MLX-LM is not answering at ",
     "start it (mlx_lm.server --model <model> --port 8081), or point anyclaude at your server with --backend-url URL",
     "no model is loaded in MLX-LM at ", "start mlx_lm.server with --model <model>, or name one with --model ID"},
    {"openai", "no OpenAI-compatible server is answering at ",
     "start your server (e.g. llama-server -m model.gguf --port 8080) or point anyclaude at it with --backend-url URL; "
     "or run a model in-process with --model file.gguf",
     "no model is loaded in the server at ", "load a model in your server, or name one with --model ID"},
};

const ModeText& mode_text(const std::string& mode) {
    for (const auto& t : kModeTexts)
        if (mode == t.mode) return t;
    return kModeTexts[2];
}

}  // namespace

ProblemText unreachable_text(const std::string& mode, const std::string& url) {
    const auto& t = mode_text(mode);
    return {t.unreachable + url, t.start_fix};
}

ProblemText no_model_text(const std::string& mode, const std::string& url) {
    const auto& t = mode_text(mode);
    return {t.no_model + url, t.no_model_fix};
}

}  // namespace anyclaude::backends
