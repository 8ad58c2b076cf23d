// Asks an OpenAI-compatible server, over HTTP with short timeouts, what it serves and how big
// the model's window is (the endpoints of context_window.hpp's table, most exact first), and
// words what is wrong for a person: which server is not answering, which command fixes it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "backends/context_window.hpp"
#include "backends/image_support.hpp"
#include "http/client.hpp"

namespace anyclaude::backends {

struct UpstreamProbe {
    bool reachable = false;
    std::string error;                // transport failure (names the URL) when not reachable
    std::vector<std::string> models;  // ids its GET /models lists, in its order
    std::string model;                // the model the window is for ("" when none)
    ContextWindow window;             // not known(): no endpoint told
    std::optional<VisionInfo> vision;  // whether the model takes images, when an answer fetched said so
};

// Short limits, for asking (not for generating): a person waits on /health/backend.
http::ClientTimeouts probe_timeouts();

// Lists the models, then asks for `model`'s window (the first listed when model is "").
awaitable<UpstreamProbe> probe_upstream(const http::Url& base, const std::string& api_key, const std::string& model,
                                        http::ConnectionPool* pool);

// What a person reads when the server of `mode` ("lmstudio", "mlx-lm", "openai") at `url` does
// not answer, or answers without a model.
struct ProblemText {
    std::string problem;
    std::string fix;
};
ProblemText unreachable_text(const std::string& mode, const std::string& url);
ProblemText no_model_text(const std::string& mode, const std::string& url);

}  // namespace anyclaude::backends
