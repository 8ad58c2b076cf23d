// POST /v1/messages body -> ir::Request: parsing with limits, then the top-level fields in
// order; the parts live in content_decoder, tools_decoder and settings_decoder.
#include "anthropic/request_decoder.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/stream_parser.hpp>

#include "anthropic/caching_decoder.hpp"
#include "anthropic/content_decoder.hpp"
#include "anthropic/field_reader.hpp"
#include "anthropic/settings_decoder.hpp"
#include "anthropic/tools_decoder.hpp"
#include "common/utf8.hpp"

namespace anyclaude::anthropic {

namespace {

const FieldPath kRoot;

bool decode_system(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    const bj::value* system = field(body, "system");
    if (!system) return true;
    FieldPath path = kRoot / "system";
    if (const bj::string* s = system->if_string()) {
        if (!s->empty()) out.system.push_back(ir::ContentBlock::make_text(std::string(s->data(), s->size())));
        return true;
    }
    if (!system->is_array()) return ctx.fail(path, "Input should be a valid string or a list of text blocks");
    return decode_content(ctx, *system, path, BlockContext::system, out.system);
}

bool decode_role(DecodeContext& ctx, const bj::object& msg, const FieldPath& path, ir::Role& role) {
    const bj::value* v = field(msg, "role");
    if (!v) return ctx.fail(path / "role", kFieldRequired);
    const bj::string* s = v->if_string();
    // "system" is accepted too: Claude Code places role-system messages mid-conversation.
    if (s && *s == "user")
        role = ir::Role::user;
    else if (s && *s == "assistant")
        role = ir::Role::assistant;
    else if (s && *s == "system")
        role = ir::Role::system;
    else
        return ctx.fail(path / "role", "Input should be 'user' or 'assistant'");
    return true;
}

bool has_tool_use(const ir::Message& m, const std::string& id) {
    for (const ir::ContentBlock& b : m.content)
        if (b.kind == ir::BlockKind::tool_use && b.id == id) return true;
    return false;
}

// Every tool_result must answer a tool_use of the previous assistant message. Role-system
// messages in between are out-of-band instructions and are looked past.
bool check_tool_results(DecodeContext& ctx, const std::vector<ir::Message>& messages, std::size_t index,
                        const FieldPath& messages_path) {
    const ir::Message* previous = nullptr;
    for (std::size_t k = index; k-- > 0;) {
        if (messages[k].role != ir::Role::system) {
            previous = &messages[k];
            break;
        }
    }
    if (previous && previous->role != ir::Role::assistant) previous = nullptr;
    const ir::Message& m = messages[index];
    for (std::size_t j = 0; j < m.content.size(); ++j) {
        const ir::ContentBlock& b = m.content[j];
        if (b.kind != ir::BlockKind::tool_result) continue;
        if (previous && has_tool_use(*previous, b.id)) continue;
        FieldPath mp = messages_path[index];
        FieldPath cp = mp / "content";
        return ctx.fail(cp[j], "unexpected `tool_use_id` found in `tool_result` blocks: " + b.id +
                                   ". Each `tool_result` block must have a corresponding `tool_use` block in the "
                                   "previous message.");
    }
    return true;
}

bool decode_messages(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    const bj::array* arr = nullptr;
    if (!read_array(ctx, body, "messages", kRoot, Need::required, arr)) return false;
    if (arr->empty()) return ctx.fail("messages: at least one message is required");
    FieldPath path = kRoot / "messages";
    out.messages.resize(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        FieldPath mp = path[i];
        const bj::object* msg = as_object(ctx, (*arr)[i], mp);
        if (!msg) return false;
        ir::Message& m = out.messages[i];
        if (!decode_role(ctx, *msg, mp, m.role)) return false;
        const bj::value* content = field(*msg, "content");
        if (!content) return ctx.fail(mp / "content", kFieldRequired);
        FieldPath cp = mp / "content";
        if (!decode_content(ctx, *content, cp, BlockContext::message, m.content)) return false;
        if (!check_tool_results(ctx, out.messages, i, path)) return false;
    }
    return true;
}

bool decode_tool_fields(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    if (const bj::value* tools = field(body, "tools")) {
        FieldPath path = kRoot / "tools";
        if (!decode_tools(ctx, *tools, path, out.tools, &out.web_search)) return false;
    }
    if (const bj::value* choice = field(body, "tool_choice")) {
        FieldPath path = kRoot / "tool_choice";
        if (!decode_tool_choice(ctx, *choice, path, out.tool_choice)) return false;
    }
    return true;
}

bool decode_body(DecodeContext& ctx, const bj::object& body, ir::Request& out) {
    if (!read_string(ctx, body, "model", kRoot, Need::required, out.model)) return false;
    if (out.model.empty()) return ctx.fail(kRoot / "model", "String should have at least 1 character");
    if (!decode_max_tokens(ctx, body, out)) return false;
    if (!decode_messages(ctx, body, out)) return false;
    if (!decode_system(ctx, body, out)) return false;
    if (!decode_tool_fields(ctx, body, out)) return false;
    if (!decode_sampling(ctx, body, out)) return false;
    if (!decode_thinking(ctx, body, out)) return false;
    if (!decode_output_config(ctx, body, out)) return false;
    if (!decode_metadata(ctx, body, out)) return false;
    if (!decode_automatic_caching(ctx, body, out)) return false;
    if (!decode_diagnostics(ctx, body, out)) return false;
    if (ctx.cache_breakpoints > ctx.opt.max_cache_breakpoints)
        return ctx.fail("A maximum of " + std::to_string(ctx.opt.max_cache_breakpoints) +
                        " blocks with cache_control may be provided. Found " +
                        std::to_string(ctx.cache_breakpoints) + ".");
    return true;
}

std::string parse_error_message(const boost::system::error_code& ec, std::string_view body, std::size_t max_depth) {
    if (ec == bj::error::too_deep)
        return "malformed JSON: nesting deeper than " + std::to_string(max_depth) + " levels";
    if (!utf8::is_valid(body)) return "malformed JSON: the body is not valid UTF-8";
    return "malformed JSON: " + ec.message();
}

}  // namespace

ir::Result<ir::Request> decode_messages_request(std::string_view body, const DecodeOptions& opt) {
    // The parsed tree lives only while decoding (every string is copied into the Request),
    // so one arena sized from the body replaces thousands of small allocations.
    bj::monotonic_resource arena(body.size() * 2 + 4096);
    bj::parse_options popt;
    popt.max_depth = opt.max_json_depth;
    bj::stream_parser parser(bj::storage_ptr(), popt);
    parser.reset(&arena);
    boost::system::error_code ec;
    parser.write(body.data(), body.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec) return ir::ApiError::invalid_request(parse_error_message(ec, body, opt.max_json_depth));
    bj::value value = parser.release();
    return decode_messages_request(value, opt);
}

ir::Result<ir::Request> decode_messages_request(const bj::value& body, const DecodeOptions& opt) {
    DecodeContext ctx(opt);
    const bj::object* o = body.if_object();
    if (!o) return ir::ApiError::invalid_request("request body: Input should be a valid dictionary");
    ir::Request req;
    if (!decode_body(ctx, *o, req)) return *ctx.error;
    return req;
}

}  // namespace anyclaude::anthropic
