// Small Anthropic response bodies: errors (the transport's too), count_tokens, the models (see
// bodies.hpp).
#include "anthropic/bodies.hpp"
#include "common/json.hpp"

namespace anyclaude::anthropic {

namespace {

// The model list has no creation dates to report; one fixed RFC 3339 instant keeps the body
// stable (clients only display it).
constexpr const char* kModelCreatedAt = "2025-01-01T00:00:00Z";

void model_object(json::Writer& w, const ModelEntry& m) {
    w.begin_object();
    w.key("type").value("model");
    w.key("id").value(m.id);
    w.key("display_name").value(m.display_name.empty() ? m.id : m.display_name);
    w.key("created_at").value(kModelCreatedAt);
    w.end_object();
}

// The error type of each answer the HTTP transport gives by itself.
constexpr std::pair<unsigned, const char*> kTransportErrorTypes[] = {
    {400, "invalid_request_error"}, {408, "timeout_error"}, {413, "request_too_large"},
    {431, "invalid_request_error"}, {500, "api_error"}};

}  // namespace

std::string transport_error_body(unsigned status, std::string_view message) {
    ir::ApiError err{static_cast<int>(status), "api_error", std::string(message)};
    for (const auto& [s, type] : kTransportErrorTypes)
        if (s == status) err.type = type;
    return error_body(err);
}

std::string model_body(const ModelEntry& model) {
    std::string out;
    json::Writer w(out);
    model_object(w, model);
    return out;
}

std::string error_body(const ir::ApiError& err) {
    std::string out;
    json::Writer w(out);
    w.begin_object();
    w.key("type").value("error");
    w.key("error").begin_object();
    w.key("type").value(err.type);
    w.key("message").value(err.message);
    w.end_object();
    w.end_object();
    return out;
}

std::string count_tokens_body(int64_t input_tokens) {
    std::string out;
    json::Writer w(out);
    w.begin_object();
    w.key("input_tokens").value(input_tokens);
    w.end_object();
    return out;
}

std::string models_body(const std::vector<ModelEntry>& models) {
    std::string out;
    json::Writer w(out);
    w.begin_object();
    w.key("data").begin_array();
    for (const ModelEntry& m : models) model_object(w, m);
    w.end_array();
    w.key("has_more").value(false);
    w.key("first_id");
    if (models.empty()) w.null(); else w.value(models.front().id);
    w.key("last_id");
    if (models.empty()) w.null(); else w.value(models.back().id);
    w.end_object();
    return out;
}

}  // namespace anyclaude::anthropic
