// Readable event lines for decoder tests (see event_text.hpp).
#include "openai/event_text.hpp"

#include <regex>

namespace anyclaude::test {

namespace {

struct Printer {
    std::string operator()(const ir::MessageStart&) const { return "message_start"; }
    std::string operator()(const ir::BlockStart& b) const {
        std::string s = "start " + std::to_string(b.index) + " " + ir::to_string(b.kind);
        if (b.kind == ir::BlockKind::tool_use) s += " " + b.tool_id + " " + b.tool_name;
        return s;
    }
    std::string operator()(const ir::BlockDelta& d) const {
        std::string kind = ir::to_string(d.kind);
        kind = kind.substr(0, kind.size() - 6);  // "text_delta" -> "text"
        return "delta " + std::to_string(d.index) + " " + kind + " " + d.data;
    }
    std::string operator()(const ir::BlockStop& b) const { return "stop " + std::to_string(b.index); }
    std::string operator()(const ir::MessageDelta& m) const {
        std::string s = std::string("message_delta ") + ir::to_string(m.stop_reason);
        if (!m.stop_sequence.empty()) s += " " + m.stop_sequence;
        s += " in=" + std::to_string(m.usage.input_tokens) + " out=" + std::to_string(m.usage.output_tokens) +
             " cache_read=" + std::to_string(m.usage.cache_read_input_tokens) +
             " cache_creation=" + std::to_string(m.usage.cache_creation_input_tokens);
        return s;
    }
    std::string operator()(const ir::MessageStop&) const { return "message_stop"; }
    std::string operator()(const ir::Ping&) const { return "ping"; }
    std::string operator()(const ir::StreamError& e) const { return "error " + e.error.type + " " + e.error.message; }
};

}  // namespace

std::string event_text(const ir::Event& e) { return std::visit(Printer{}, e); }

std::vector<std::string> event_lines(const std::vector<ir::Event>& events) {
    std::vector<std::string> lines;
    for (const auto& e : events) lines.push_back(event_text(e));
    return lines;
}

std::vector<ir::Event> merge_deltas(const std::vector<ir::Event>& events) {
    std::vector<ir::Event> out;
    for (const auto& e : events) {
        const auto* d = std::get_if<ir::BlockDelta>(&e);
        if (d && !out.empty()) {
            auto* prev = std::get_if<ir::BlockDelta>(&out.back());
            if (prev && prev->index == d->index && prev->kind == d->kind) {
                prev->data += d->data;
                continue;
            }
        }
        out.push_back(e);
    }
    return out;
}

std::vector<std::string> without_generated_ids(std::vector<std::string> lines) {
    static const std::regex id("toolu_[A-Za-z0-9]{24}");
    for (auto& l : lines) l = std::regex_replace(l, id, "toolu_*");
    return lines;
}

}  // namespace anyclaude::test
