// Generation settings decoding and range checks (see settings_decoder.hpp).
#include "anthropic/settings_decoder.hpp"

#include "anthropic/field_reader.hpp"
#include "common/json.hpp"

namespace anyclaude::anthropic {

namespace {

const FieldPath kRoot;

// Anthropic's range messages, with numbers printed as given ("1", "0.5").
bool check_range(DecodeContext& ctx, std::string_view key, double v, double lo, double hi, const char* lo_text,
                 const char* hi_text) {
    if (v < lo) return ctx.fail(kRoot / key, std::string("Input should be greater than or equal to ") + lo_text);
    if (v > hi) return ctx.fail(kRoot / key, std::string("Input should be less than or equal to ") + hi_text);
    return true;
}

bool decode_stop_sequences(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    const bj::array* arr = nullptr;
    if (!read_array(ctx, body, "stop_sequences", kRoot, Need::optional, arr)) return false;
    if (!arr) return true;
    FieldPath path = kRoot / "stop_sequences";
    out.stop_sequences.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const bj::string* s = (*arr)[i].if_string();
        if (!s) return ctx.fail(path[i], "Input should be a valid string");
        out.stop_sequences.emplace_back(s->data(), s->size());
    }
    return true;
}

}  // namespace

bool decode_max_tokens(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    std::optional<int64_t> max_tokens;
    Need need = ctx.opt.require_max_tokens ? Need::required : Need::optional;
    if (!read_int(ctx, body, "max_tokens", kRoot, need, max_tokens)) return false;
    if (!max_tokens) return true;
    if (*max_tokens < 1) return ctx.fail(kRoot / "max_tokens", "Input should be greater than or equal to 1");
    if (*max_tokens > ctx.opt.max_tokens_limit)
        return ctx.fail(kRoot / "max_tokens",
                        "Input should be less than or equal to " + std::to_string(ctx.opt.max_tokens_limit));
    out.max_tokens = *max_tokens;
    return true;
}

bool decode_sampling(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    if (!read_number(ctx, body, "temperature", kRoot, Need::optional, out.temperature)) return false;
    if (out.temperature && !check_range(ctx, "temperature", *out.temperature, 0, 1, "0", "1")) return false;
    if (!read_number(ctx, body, "top_p", kRoot, Need::optional, out.top_p)) return false;
    if (out.top_p && !check_range(ctx, "top_p", *out.top_p, 0, 1, "0", "1")) return false;
    if (!read_int(ctx, body, "top_k", kRoot, Need::optional, out.top_k)) return false;
    if (out.top_k && *out.top_k < 0) return ctx.fail(kRoot / "top_k", "Input should be greater than or equal to 0");
    if (!decode_stop_sequences(ctx, body, out)) return false;
    return read_bool(ctx, body, "stream", kRoot, out.stream);
}

bool decode_thinking(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    const bj::object* t = nullptr;
    if (!read_object(ctx, body, "thinking", kRoot, Need::optional, t)) return false;
    if (!t) return true;
    FieldPath path = kRoot / "thinking";
    switch (read_tag(ctx, *t, path, {"enabled", "adaptive", "disabled"})) {
        case 0: {
            out.thinking.kind = ir::Thinking::Kind::enabled;
            std::optional<int64_t> budget;
            if (!read_int(ctx, *t, "budget_tokens", path, Need::required, budget)) return false;
            if (*budget < 1024)
                return ctx.fail(path / "budget_tokens", "Input should be greater than or equal to 1024");
            if (out.max_tokens > 0 && *budget >= out.max_tokens)
                return ctx.fail("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
                                "documentation at https://docs.claude.com/en/docs/build-with-claude/"
                                "extended-thinking#max-tokens-and-context-window-size");
            out.thinking.budget_tokens = *budget;
            return true;
        }
        case 1: out.thinking.kind = ir::Thinking::Kind::adaptive; return true;
        case 2: out.thinking.kind = ir::Thinking::Kind::disabled; return true;
        default: return false;
    }
}

// output_config {effort?, format?: {type: "json_schema", schema}}; the older top-level
// output_format {type: "json_schema", schema} is read when output_config has no format.
bool decode_output_config(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    const bj::object* cfg = nullptr;
    if (!read_object(ctx, body, "output_config", kRoot, Need::optional, cfg)) return false;
    FieldPath cfg_path = kRoot / "output_config";
    const bj::object* format = nullptr;
    FieldPath format_path = cfg_path / "format";
    if (cfg) {
        if (!read_string(ctx, *cfg, "effort", cfg_path, Need::optional, out.effort)) return false;
        if (!read_object(ctx, *cfg, "format", cfg_path, Need::optional, format)) return false;
    }
    FieldPath legacy_path = kRoot / "output_format";
    const FieldPath* path = &format_path;
    if (!format) {
        if (!read_object(ctx, body, "output_format", kRoot, Need::optional, format)) return false;
        path = &legacy_path;
    }
    if (!format) return true;
    if (read_tag(ctx, *format, *path, {"json_schema"}) < 0) return false;
    const bj::object* schema = nullptr;
    if (!read_object(ctx, *format, "schema", *path, Need::required, schema)) return false;
    json::write(*format->if_contains("schema"), out.output_schema_json);
    return true;
}

bool decode_metadata(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    const bj::object* md = nullptr;
    if (!read_object(ctx, body, "metadata", kRoot, Need::optional, md)) return false;
    if (!md) return true;
    FieldPath path = kRoot / "metadata";
    return read_string(ctx, *md, "user_id", path, Need::optional, out.user_id);
}

}  // namespace anyclaude::anthropic
