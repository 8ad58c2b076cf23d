// Automatic caching and the cache-diagnosis beta's request field (see caching_decoder.hpp).
#include "anthropic/caching_decoder.hpp"

#include "anthropic/field_reader.hpp"

namespace anyclaude::anthropic {

namespace {

const FieldPath kRoot;

// Anthropic refuses cache_control on thinking blocks; everything else can end a cached prefix.
bool cacheable(const ir::ContentBlock& b) {
    return b.kind != ir::BlockKind::thinking && b.kind != ir::BlockKind::redacted_thinking;
}

// The breakpoint flag of the last cacheable block, or nullptr when the request has none.
bool* last_cacheable(ir::Request& r) {
    for (auto m = r.messages.rbegin(); m != r.messages.rend(); ++m)
        for (auto b = m->content.rbegin(); b != m->content.rend(); ++b)
            if (cacheable(*b)) return &b->cache_breakpoint;
    if (!r.system.empty()) return &r.system.back().cache_breakpoint;
    if (!r.tools.empty()) return &r.tools.back().cache_breakpoint;
    return nullptr;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

bool has_beta(std::string_view header, std::string_view beta) {
    while (!header.empty()) {
        auto comma = header.find(',');
        if (trim(header.substr(0, comma)) == beta) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

bool decode_automatic_caching(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    bool automatic = false;
    std::size_t before = ctx.cache_breakpoints;
    if (!read_cache_control(ctx, body, kRoot, automatic)) return false;
    if (!automatic) return true;
    bool* target = last_cacheable(out);
    if (!target || *target) {
        ctx.cache_breakpoints = before;  // nothing to mark, or marked already: no new breakpoint
        return true;
    }
    *target = true;
    return true;
}

bool decode_diagnostics(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    if (!has_beta(ctx.opt.anthropic_beta, kCacheDiagnosisBeta)) return true;
    const bj::object* d = nullptr;
    if (!read_object(ctx, body, "diagnostics", kRoot, Need::optional, d)) return false;
    if (!d) return true;
    std::string id;
    bool present = false;
    if (!read_string(ctx, *d, "previous_message_id", kRoot / "diagnostics", Need::optional, id, &present)) return false;
    if (present) out.diagnose_against = std::move(id);
    return true;
}

}  // namespace anyclaude::anthropic
