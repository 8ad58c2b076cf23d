// Fuzzes the Messages request decoder the way the gateway calls it: the body text as
// POST /v1/messages (max_tokens required) and as /v1/messages/count_tokens (not required).
// Seeds: the Claude Code captures in ../shared/fixtures (scripts/fuzz.sh copies them).
//
// Invariants:
//   - nothing throws; the result is a Request or a 400 invalid_request_error with a message;
//   - decoding the text equals parsing it (common/json, same depth limit) and decoding the value:
//     same outcome, same error message (malformed JSON is always reported as such);
//   - a body valid for /v1/messages is valid for count_tokens;
//   - a decoded Request's strings are valid UTF-8, its tool inputs / schemas are JSON texts;
//   - the OpenAI encoding of a decoded Request is valid JSON, the same bytes twice.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "anthropic/request_decoder.hpp"
#include "common/utf8.hpp"
#include "common/json.hpp"
#include "fuzz_support.hpp"
#include "ir/prompt_stability.hpp"
#include "openai/chat_encoder.hpp"

namespace {

using namespace anyclaude;

void check_error(const ir::ApiError& e) {
    FUZZ_CHECK(e.status == 400);
    FUZZ_CHECK(e.type == "invalid_request_error");
    FUZZ_CHECK(!e.message.empty());
}

bool is_json(std::string_view text) { return json::parse(text, 100000).ok(); }

void check_block(const ir::ContentBlock& b) {
    FUZZ_CHECK(utf8::is_valid(b.text));
    FUZZ_CHECK(utf8::is_valid(b.id));
    FUZZ_CHECK(utf8::is_valid(b.name));
    if (b.kind == ir::BlockKind::tool_use) FUZZ_CHECK(is_json(b.input_json));
    for (const auto& inner : b.content) check_block(inner);
}

void check_request(const ir::Request& r) {
    FUZZ_CHECK(!r.model.empty());
    FUZZ_CHECK(utf8::is_valid(r.model));
    FUZZ_CHECK(!r.messages.empty());
    for (const auto& b : r.system) check_block(b);
    for (const auto& m : r.messages)
        for (const auto& b : m.content) check_block(b);
    for (const auto& t : r.tools) {
        FUZZ_CHECK(utf8::is_valid(t.name));
        if (!t.input_schema_json.empty()) FUZZ_CHECK(is_json(t.input_schema_json));
    }
    if (!r.output_schema_json.empty()) FUZZ_CHECK(is_json(r.output_schema_json));
    FUZZ_CHECK(ir::estimate_tokens(r) >= 0);
}

void check_encodings(ir::Request r) {
    openai::ChatEncodeOptions a;
    a.model = "fuzz-model";
    openai::ChatEncodeOptions b;
    b.mid_system = openai::MidSystem::as_user;
    b.thinking = openai::ThinkingControl::reasoning_effort;
    b.max_tokens_cap = 1000;
    b.send_thinking_history = false;
    openai::ChatEncodeOptions c;
    c.thinking = openai::ThinkingControl::template_kwargs;
    for (const auto* opt : {&a, &b, &c}) {
        std::string body = openai::encode_chat_request(r, *opt);
        FUZZ_CHECK(is_json(body));
        FUZZ_CHECK(openai::encode_chat_request(r, *opt) == body);
    }
    ir::strip_billing_header(r);  // what the gateway does next
    FUZZ_CHECK(is_json(openai::encode_chat_request(r, a)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);

    anthropic::DecodeOptions messages_opt;
    anthropic::DecodeOptions count_opt;
    count_opt.require_max_tokens = false;

    auto decoded = anthropic::decode_messages_request(body, messages_opt);
    auto counted = anthropic::decode_messages_request(body, count_opt);
    if (!decoded) check_error(decoded.error());
    if (!counted) check_error(counted.error());
    if (decoded) FUZZ_CHECK(counted.ok());

    // The text entry point agrees with parse-then-decode.
    auto parsed = json::parse(body, messages_opt.max_json_depth);
    if (!parsed.ok()) {
        FUZZ_CHECK(!decoded.ok() && !counted.ok());
        FUZZ_CHECK(decoded.error().message.starts_with("malformed JSON"));
    } else {
        auto from_value = anthropic::decode_messages_request(parsed.value, messages_opt);
        FUZZ_CHECK(from_value.ok() == decoded.ok());
        if (!decoded) FUZZ_CHECK(from_value.error().message == decoded.error().message);
        auto count_from_value = anthropic::decode_messages_request(parsed.value, count_opt);
        FUZZ_CHECK(count_from_value.ok() == counted.ok());
    }

    if (decoded) {
        check_request(*decoded);
        check_encodings(*decoded);
    } else if (counted) {
        check_request(*counted);
        check_encodings(*counted);
    }
    return 0;
}
