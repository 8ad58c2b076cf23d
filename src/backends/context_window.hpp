// A model's context window: where the gateway learns it (a table of the endpoints each backend
// really exposes, read from their JSON answers by pure functions), and the arithmetic both
// backend families share (how much max_tokens fits, when a prompt is clearly over, how long to
// hold the HTTP status back). The HTTP calls live in upstream_probe.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anyclaude::backends {

// What the gateway knows of a model's window. tokens 0: nothing told it.
struct ContextWindow {
    int64_t tokens = 0;
    std::string source;  // e.g. "llama-server /props", "setting context-window", "embedded --ctx-size"
    // The backend drops what does not fit instead of refusing it (Ollama): the gateway refuses
    // an estimated prompt over the window itself.
    bool truncates = false;
    bool known() const { return tokens > 0; }
};

// The window reported (to /health/backend and so to the launcher, which gives it to Claude Code)
// when nothing tells: 32768. It is the embedded engine's own default (min(training, 32768)),
// and the side a wrong guess should err on: told 32k, Claude Code compacts early on a bigger
// window (wasteful, safe) and comfortably runs its ~12k first exchange, which does not fit
// below ~16k at all (research file section 8). It is only reported, never enforced: refusing
// or clamping by a guess would break a backend whose window is larger.
constexpr int64_t kDefaultContextWindow = 32768;
constexpr const char* kDefaultWindowSource = "default";

// One endpoint that tells a window, and how its answer is read.
struct WindowProbe {
    const char* backend;  // "llama-server", "LM Studio", ...
    const char* method;   // "GET" or "POST"
    const char* path;     // from the server's root, or (under_base) after the base URL's path
    bool under_base;      // true: http://host:port/v1 + path; false: http://host:port + path
    const char* source;   // what /health/backend says: "llama-server /props"
    bool truncates;       // see ContextWindow::truncates
    // The window for `model` ("" when the gateway has none configured) from the parsed body.
    std::optional<int64_t> (*read)(std::string_view body, const std::string& model);
};

// The probes, most exact first; the first that yields a window wins.
const std::vector<WindowProbe>& window_probes();

// The body a probe sends ("" for GET): Ollama's /api/show names the model.
std::string probe_body(const WindowProbe& probe, const std::string& model);

// How many tokens may be generated: requested (already cut to the max-tokens-cap setting by the
// front door), cut to window - prompt (when the window is known), never below 1. The embedded
// engine (exact prompt) and the upstream backend (estimated prompt) both size max_tokens with it.
int64_t fit_max_tokens(int64_t requested, int64_t prompt_tokens, int64_t window);

// An estimated prompt the gateway refuses without asking the backend: over 1.25x the window.
// The estimate (ir::estimate_tokens, ~4 bytes a token) is rough; the backend's own count is
// exact, so anything closer is sent and the backend's verdict is translated.
bool clearly_over(int64_t estimate, int64_t window);

// How long the upstream backend holds the client's HTTP status back while it waits for the
// upstream's headers (see upstream_backend.hpp): `grace` normally, but `near_grace` when the
// prompt is within reach of the window (estimate >= 3/4 of it), because then the upstream may
// well answer with a context error, which Claude Code handles best as a plain HTTP 400 (an SSE
// error event after message_start costs it one more, non-streamed, full request).
std::chrono::milliseconds commit_grace(int64_t estimate, int64_t window, std::chrono::milliseconds grace,
                                       std::chrono::milliseconds near_grace);

}  // namespace anyclaude::backends
