// Billing-header removal and token estimation (see prompt_stability.hpp).
#include "ir/prompt_stability.hpp"

#include <string_view>

namespace anyclaude::ir {

namespace {
constexpr std::string_view kBillingPrefix = "x-anthropic-billing-header:";

// Removes every line starting with the billing prefix from text; true if any was removed.
bool strip_lines(std::string& text) {
    bool removed = false;
    std::string out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::size_t end = nl == std::string::npos ? text.size() : nl;
        std::string_view line(text.data() + pos, end - pos);
        if (line.substr(0, kBillingPrefix.size()) == kBillingPrefix) {
            removed = true;
        } else {
            out.append(line);
            if (nl != std::string::npos) out.push_back('\n');
        }
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    if (removed) text = std::move(out);
    return removed;
}
}  // namespace

bool strip_billing_header(Request& req) {
    bool removed = false;
    for (auto it = req.system.begin(); it != req.system.end();) {
        if (it->kind == BlockKind::text && it->text.find(kBillingPrefix) != std::string::npos && strip_lines(it->text)) {
            removed = true;
            if (it->text.find_first_not_of(" \n\r\t") == std::string::npos) {
                it = req.system.erase(it);
                continue;
            }
        }
        ++it;
    }
    return removed;
}

bool billing_marks_subagent(const Request& req) {
    for (const auto& b : req.system) {
        if (b.kind != BlockKind::text) continue;
        auto at = b.text.find(kBillingPrefix);
        if (at == std::string::npos) continue;
        auto end = b.text.find('\n', at);
        if (b.text.substr(at, end == std::string::npos ? std::string::npos : end - at).find("cc_is_subagent=true") !=
            std::string::npos)
            return true;
    }
    return false;
}

namespace {
int64_t bytes_of(const ContentBlock& b) {
    int64_t n = static_cast<int64_t>(b.text.size() + b.input_json.size() + b.name.size());
    if (b.kind == BlockKind::image) n += 1600 * 4;  // images cost ~1.6k tokens at typical sizes
    for (const auto& c : b.content) n += bytes_of(c);
    return n;
}
}  // namespace

int64_t estimate_tokens(const Request& req) {
    int64_t bytes = 0, json_bytes = 0;
    for (const auto& b : req.system) bytes += bytes_of(b);
    for (const auto& m : req.messages) {
        bytes += 8;
        for (const auto& b : m.content) bytes += bytes_of(b);
    }
    for (const auto& t : req.tools) {
        if (t.defer_loading) continue;
        bytes += static_cast<int64_t>(t.description.size() + t.name.size());
        json_bytes += static_cast<int64_t>(t.input_schema_json.size());
    }
    return bytes / 4 + json_bytes / 3 + 1;
}

}  // namespace anyclaude::ir
