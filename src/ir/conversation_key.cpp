// The conversation key (see conversation_key.hpp).
#include "ir/conversation_key.hpp"

#include <cstdio>
#include <string_view>

#include "common/fnv1a.hpp"

namespace anyclaude::ir {

namespace {

constexpr std::string_view kBillingPrefix = "x-anthropic-billing-header:";

// Each field is followed by its length, so that ("ab","c") and ("a","bc") hash apart.
uint64_t field(uint64_t h, std::string_view s) {
    h = fnv1a::mix(h, s);
    const uint64_t n = s.size();
    return fnv1a::mix(h, std::string_view(reinterpret_cast<const char*>(&n), sizeof n));
}

// System text line by line, without the billing lines (the same lines strip_billing_header drops).
uint64_t system_text(uint64_t h, std::string_view text) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view line = text.substr(pos, end - pos);
        if (line.substr(0, kBillingPrefix.size()) != kBillingPrefix) h = field(h, line);
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    return h;
}

uint64_t block(uint64_t h, const ContentBlock& b) {
    h = field(h, to_string(b.kind));
    for (std::string_view s : {std::string_view(b.text), std::string_view(b.data), std::string_view(b.url),
                               std::string_view(b.name), std::string_view(b.input_json)})
        h = field(h, s);
    for (const auto& c : b.content) h = block(h, c);
    return h;
}

}  // namespace

uint64_t conversation_key(const Request& req) {
    uint64_t h = fnv1a::kOffsetBasis;
    for (const auto& t : req.tools) {
        h = field(h, t.name);
        h = field(h, t.description);
        h = field(h, t.input_schema_json);
    }
    h = field(h, "|system|");
    for (const auto& b : req.system)
        if (b.kind == BlockKind::text) h = system_text(h, b.text);
    h = field(h, "|first|");
    if (!req.messages.empty()) {
        h = field(h, to_string(req.messages.front().role));
        for (const auto& b : req.messages.front().content) h = block(h, b);
    }
    return h;
}

std::string conversation_key_text(uint64_t key) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(key));
    return buf;
}

}  // namespace anyclaude::ir
