// Shared response JSON fragments (see wire_shapes.hpp).
#include "anthropic/wire_shapes.hpp"

namespace anyclaude::anthropic {

void write_usage(json::Writer& w, const ir::Usage& usage) {
    w.begin_object();
    w.key("input_tokens").value(usage.input_tokens);
    w.key("cache_creation_input_tokens").value(usage.cache_creation_input_tokens);
    w.key("cache_read_input_tokens").value(usage.cache_read_input_tokens);
    w.key("output_tokens").value(usage.output_tokens);
    if (usage.web_search_requests > 0)
        w.key("server_tool_use").begin_object().key("web_search_requests").value(usage.web_search_requests).end_object();
    w.end_object();
}

void write_search_content(json::Writer& w, const std::vector<ir::WebSearchResult>& results,
                          const std::string& error_code) {
    if (!error_code.empty()) {
        w.begin_object();
        w.key("type").value("web_search_tool_result_error");
        w.key("error_code").value(error_code);
        w.end_object();
        return;
    }
    w.begin_array();
    for (const auto& r : results) {
        w.begin_object();
        w.key("type").value("web_search_result");
        w.key("url").value(r.url);
        w.key("title").value(r.title);
        w.key("encrypted_content").value(r.encrypted_content);
        w.key("page_age");
        if (r.page_age.empty())
            w.null();
        else
            w.value(r.page_age);
        w.end_object();
    }
    w.end_array();
}

void write_stop_sequence(json::Writer& w, const std::string& stop_sequence) {
    if (stop_sequence.empty())
        w.null();
    else
        w.value(stop_sequence);
}

void write_diagnostics(json::Writer& w, const std::optional<ir::CacheDiagnostics>& d) {
    if (!d) return;
    w.key("diagnostics").begin_object();
    w.key("cache_miss_reason");
    if (d->reason.empty()) {
        w.null();
    } else {
        w.begin_object();
        w.key("type").value(d->reason);
        if (d->missed_input_tokens) w.key("cache_missed_input_tokens").value(*d->missed_input_tokens);
        w.end_object();
    }
    w.end_object();
}

}  // namespace anyclaude::anthropic
