// Anthropic's web search, run by the gateway in front of any backend (upstream or embedded):
// a Backend that wraps another. A request carrying the web_search server tool is answered by a
// loop inside the one client request: the model is offered a `web_search` function tool; when
// it calls it, the search runs through the configured provider (src/search), the client gets a
// server_tool_use block (srvtoolu_ id, input streamed as input_json_delta) and a
// web_search_tool_result block (whole content in its start event), the model gets the results
// as a tool result, and the inner backend is asked again, up to max_uses searches (default 10);
// the answer's text follows; usage carries server_tool_use.web_search_requests. One
// message_start and one message_delta/message_stop reach the client; block indices run on.
// History the client sends back (server_tool_use, web_search_tool_result) is rewritten into
// tool_use / tool_result for the inner backend (web_search_blocks.hpp), in every request.
#pragma once

#include <memory>

#include "backends/backend.hpp"
#include "search/provider.hpp"

namespace anyclaude::backends {

class WebSearchBackend final : public Backend {
public:
    // provider may be null: every search then answers "unavailable" with words saying how to
    // configure one (search::kNotConfigured), logged once.
    WebSearchBackend(std::shared_ptr<Backend> inner, std::unique_ptr<search::Provider> provider);

    awaitable<std::optional<ir::ApiError>> generate(const ir::Request& req, EventSink& sink) override;
    awaitable<ir::Result<int64_t>> count_tokens(const ir::Request& req) override;
    std::vector<ModelInfo> models() const override { return inner_->models(); }
    std::string describe() const override { return inner_->describe(); }
    awaitable<BackendStatus> status() override { return inner_->status(); }
    ContextWindow window() const override { return inner_->window(); }
    bool serves(const std::string& model_id) const override { return inner_->serves(model_id); }
    std::string stats_json() const override { return inner_->stats_json(); }
    std::string fleet_json() const override { return inner_->fleet_json(); }
    std::string count_tokens_method() const override { return inner_->count_tokens_method(); }
    void stop() override { inner_->stop(); }

    Backend& inner() { return *inner_; }

private:
    awaitable<std::optional<ir::ApiError>> loop(const ir::Request& req, EventSink& sink);
    awaitable<search::Outcome> run_search(const std::string& query, const ir::WebSearchTool& ws);

    std::shared_ptr<Backend> inner_;
    std::unique_ptr<search::Provider> provider_;
    bool warned_unconfigured_ = false;
};

// Wraps backend when a provider is configured or could be (always: a request with the tool
// must be told that search is off); see server_runner.cpp.
std::shared_ptr<Backend> with_web_search(std::shared_ptr<Backend> backend, std::unique_ptr<search::Provider> provider);

}  // namespace anyclaude::backends
