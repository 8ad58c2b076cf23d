// Content block decoding and validation (see content_decoder.hpp).
#include "anthropic/content_decoder.hpp"

#include "anthropic/base64_check.hpp"
#include "anthropic/field_reader.hpp"
#include "common/json.hpp"

namespace anyclaude::anthropic {

namespace {

using ir::BlockKind;
using ir::ContentBlock;

bool decode_text(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::text;
    return read_string(ctx, o, "text", path, Need::required, out.text);
}

bool is_image_media_type(std::string_view m) {
    return m == "image/jpeg" || m == "image/png" || m == "image/gif" || m == "image/webp";
}

// source {type: base64, media_type, data} | {type: url, url}
bool decode_image(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::image;
    const bj::object* src = nullptr;
    if (!read_object(ctx, o, "source", path, Need::required, src)) return false;
    FieldPath sp = path / "source";
    int tag = read_tag(ctx, *src, sp, {"base64", "url"});
    if (tag < 0) return false;
    if (tag == 1) return read_string(ctx, *src, "url", sp, Need::required, out.url);
    if (!read_string(ctx, *src, "media_type", sp, Need::required, out.media_type)) return false;
    if (!is_image_media_type(out.media_type))
        return ctx.fail(sp / "media_type", "Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
    if (!read_string(ctx, *src, "data", sp, Need::required, out.data)) return false;
    if (!is_valid_base64(out.data)) return ctx.fail(sp / "data", "Input should be valid base64 data");
    return true;
}

// source {type: base64 (application/pdf)} | {type: text, data} | {type: url, url} | {type: content, content}
bool decode_document(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::document;
    const bj::object* src = nullptr;
    if (!read_object(ctx, o, "source", path, Need::required, src)) return false;
    FieldPath sp = path / "source";
    switch (read_tag(ctx, *src, sp, {"base64", "text", "url", "content"})) {
        case 0:
            if (!read_string(ctx, *src, "media_type", sp, Need::required, out.media_type)) return false;
            if (out.media_type != "application/pdf")
                return ctx.fail(sp / "media_type", "Input should be 'application/pdf'");
            if (!read_string(ctx, *src, "data", sp, Need::required, out.data)) return false;
            if (!is_valid_base64(out.data)) return ctx.fail(sp / "data", "Input should be valid base64 data");
            return true;
        case 1:
            out.media_type = "text/plain";
            return read_string(ctx, *src, "data", sp, Need::required, out.text);
        case 2:
            out.media_type = "application/pdf";
            return read_string(ctx, *src, "url", sp, Need::required, out.url);
        case 3: {
            const bj::value* content = field(*src, "content");
            if (!content) return ctx.fail(sp / "content", kFieldRequired);
            FieldPath cp = sp / "content";
            return decode_content(ctx, *content, cp, BlockContext::tool_result, out.content);
        }
        default: return false;
    }
}

bool decode_tool_use(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::tool_use;
    if (!read_string(ctx, o, "id", path, Need::required, out.id)) return false;
    if (!read_string(ctx, o, "name", path, Need::required, out.name)) return false;
    const bj::object* input = nullptr;
    if (!read_object(ctx, o, "input", path, Need::required, input)) return false;
    json::write(*o.if_contains("input"), out.input_json);  // client key order, byte-stable
    return true;
}

bool decode_tool_result(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::tool_result;
    if (!read_string(ctx, o, "tool_use_id", path, Need::required, out.id)) return false;
    if (!read_bool(ctx, o, "is_error", path, out.is_error)) return false;
    const bj::value* content = field(o, "content");
    if (!content) return true;
    FieldPath cp = path / "content";
    return decode_content(ctx, *content, cp, BlockContext::tool_result, out.content);
}

bool decode_thinking(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::thinking;
    if (!read_string(ctx, o, "thinking", path, Need::required, out.text)) return false;
    // Anthropic requires a signature; local backends produce empty ones, so absent is accepted.
    return read_string(ctx, o, "signature", path, Need::optional, out.signature);
}

bool decode_redacted_thinking(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::redacted_thinking;
    return read_string(ctx, o, "data", path, Need::required, out.text);
}

// A server_tool_use block sent back in history: {id, name, input}.
bool decode_server_tool_use(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    if (!decode_tool_use(ctx, o, path, out)) return false;
    out.kind = BlockKind::server_tool_use;
    return true;
}

// {type: web_search_result, url, title, page_age?, encrypted_content}
bool decode_search_hit(DecodeContext& ctx, const bj::value& v, const FieldPath& path, ir::WebSearchResult& out) {
    const bj::object* o = as_object(ctx, v, path);
    if (!o || read_tag(ctx, *o, path, {"web_search_result"}) < 0) return false;
    return read_string(ctx, *o, "url", path, Need::required, out.url) &&
           read_string(ctx, *o, "title", path, Need::optional, out.title) &&
           read_string(ctx, *o, "page_age", path, Need::optional, out.page_age) &&
           read_string(ctx, *o, "encrypted_content", path, Need::optional, out.encrypted_content);
}

// A web_search_tool_result block sent back in history: {tool_use_id, content: [hits] |
// {type: web_search_tool_result_error, error_code}}.
bool decode_web_search_result(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ContentBlock& out) {
    out.kind = BlockKind::web_search_tool_result;
    if (!read_string(ctx, o, "tool_use_id", path, Need::required, out.id)) return false;
    const bj::value* content = field(o, "content");
    FieldPath cp = path / "content";
    if (!content) return ctx.fail(cp, kFieldRequired);
    if (const bj::object* err = content->if_object()) {
        if (read_tag(ctx, *err, cp, {"web_search_tool_result_error"}) < 0) return false;
        if (!read_string(ctx, *err, "error_code", cp, Need::required, out.error_code)) return false;
        if (out.error_code.empty()) out.error_code = "unavailable";
        return true;
    }
    const bj::array* hits = content->if_array();
    if (!hits) return ctx.fail(cp, "Input should be a valid list or an error object");
    out.search_results.resize(hits->size());
    for (std::size_t i = 0; i < hits->size(); ++i)
        if (!decode_search_hit(ctx, (*hits)[i], cp[i], out.search_results[i])) return false;
    return true;
}

int read_block_tag(DecodeContext& ctx, const bj::object& o, const FieldPath& path, BlockContext where) {
    switch (where) {
        case BlockContext::system: return read_tag(ctx, o, path, {"text"});
        case BlockContext::tool_result: return read_tag(ctx, o, path, {"text", "image", "document"});
        case BlockContext::message: break;
    }
    return read_tag(ctx, o, path,
                    {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
                     "server_tool_use", "web_search_tool_result"});
}

}  // namespace

bool decode_block(DecodeContext& ctx, const bj::value& block, const FieldPath& path, BlockContext where,
                  ContentBlock& out) {
    const bj::object* o = as_object(ctx, block, path);
    if (!o) return false;
    bool ok = false;
    switch (read_block_tag(ctx, *o, path, where)) {
        case 0: ok = decode_text(ctx, *o, path, out); break;
        case 1: ok = decode_image(ctx, *o, path, out); break;
        case 2: ok = decode_document(ctx, *o, path, out); break;
        case 3: ok = decode_tool_use(ctx, *o, path, out); break;
        case 4: ok = decode_tool_result(ctx, *o, path, out); break;
        case 5: ok = decode_thinking(ctx, *o, path, out); break;
        case 6: ok = decode_redacted_thinking(ctx, *o, path, out); break;
        case 7: ok = decode_server_tool_use(ctx, *o, path, out); break;
        case 8: ok = decode_web_search_result(ctx, *o, path, out); break;
        default: return false;
    }
    return ok && read_cache_control(ctx, *o, path, out.cache_breakpoint);
}

bool decode_content(DecodeContext& ctx, const bj::value& content, const FieldPath& path, BlockContext where,
                    std::vector<ContentBlock>& out) {
    if (const bj::string* s = content.if_string()) {
        out.push_back(ContentBlock::make_text(std::string(s->data(), s->size())));
        return true;
    }
    const bj::array* blocks = content.if_array();
    if (!blocks) return ctx.fail(path, "Input should be a valid string or a list of content blocks");
    std::size_t base = out.size();
    out.resize(base + blocks->size());
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        FieldPath bp = path[i];
        if (!decode_block(ctx, (*blocks)[i], bp, where, out[base + i])) return false;
    }
    return true;
}

}  // namespace anyclaude::anthropic
