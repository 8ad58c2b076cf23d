// Tests of encode_chat_request's field mapping, on small hand-built requests, asserting exact bytes.
#include <gtest/gtest.h>

#include "common/json.hpp"
#include "openai/chat_encoder.hpp"

namespace anyclaude::openai {
namespace {

constexpr const char* kTail = R"("stream":true,"stream_options":{"include_usage":true}})";

ir::ContentBlock text(std::string t) { return ir::ContentBlock::make_text(std::move(t)); }

ir::ContentBlock image_b64(std::string media, std::string data) {
    ir::ContentBlock b;
    b.kind = ir::BlockKind::image;
    b.media_type = std::move(media);
    b.data = std::move(data);
    return b;
}

ir::ContentBlock tool_use(std::string id, std::string name, std::string input) {
    return ir::ContentBlock::make_tool_use(std::move(id), std::move(name), std::move(input));
}

ir::ContentBlock tool_result(std::string id, std::vector<ir::ContentBlock> content, bool is_error = false) {
    ir::ContentBlock b;
    b.kind = ir::BlockKind::tool_result;
    b.id = std::move(id);
    b.content = std::move(content);
    b.is_error = is_error;
    return b;
}

ir::ContentBlock thinking(std::string t) {
    ir::ContentBlock b;
    b.kind = ir::BlockKind::thinking;
    b.text = std::move(t);
    b.signature = "sig";
    return b;
}

ir::Message msg(ir::Role role, std::vector<ir::ContentBlock> content) { return ir::Message{role, std::move(content)}; }

ir::Request hello_request() {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::user, {text("hi")}));
    return r;
}

// The "messages" array of a body, as text.
std::string messages_of(const std::string& body) {
    auto parsed = json::parse(body);
    EXPECT_TRUE(parsed.ok()) << body;
    return json::to_text(parsed.value.as_object().at("messages"));
}

bool has_key(const std::string& body, const char* key) {
    return json::parse(body).value.as_object().contains(key);
}

TEST(ChatEncoder, MinimalRequestExactBytes) {
    ir::Request r = hello_request();
    r.system.push_back(text("You are helpful."));
    r.max_tokens = 100;
    ChatEncodeOptions opt;
    opt.model = "qwen3";
    EXPECT_EQ(encode_chat_request(r, opt),
              std::string(R"({"model":"qwen3","messages":[{"role":"system","content":"You are helpful."},)"
                          R"({"role":"user","content":"hi"}],"max_tokens":100,)") + kTail);
}

TEST(ChatEncoder, ModelOmittedWhenOptionEmpty) {
    ir::Request r = hello_request();
    r.model = "claude-opus-5-5";
    r.backend_model = "qwen3";
    EXPECT_EQ(encode_chat_request(r, {}), std::string(R"({"messages":[{"role":"user","content":"hi"}],)") + kTail);
}

TEST(ChatEncoder, SystemBlocksJoinedWithBlankLine) {
    ir::Request r = hello_request();
    r.system = {text("identity"), text("instructions\nline 2")};
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"system","content":"identity\n\ninstructions\nline 2"},{"role":"user","content":"hi"}])");
}

TEST(ChatEncoder, StringsAreEscaped) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::user, {text("quote \" backslash \\ tab \t nl \n ctl \x01 utf8 \xc3\xa9")}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              "[{\"role\":\"user\",\"content\":\"quote \\\" backslash \\\\ tab \\t nl \\n ctl \\u0001 utf8 \xc3\xa9\"}]");
}

TEST(ChatEncoder, MidConversationSystemStaysInPlace) {
    ir::Request r;
    r.system = {text("sys")};
    r.messages.push_back(msg(ir::Role::user, {text("a")}));
    r.messages.push_back(msg(ir::Role::system, {text("env"), text("more")}));
    r.messages.push_back(msg(ir::Role::user, {text("b")}));
    ChatEncodeOptions keep;
    EXPECT_EQ(messages_of(encode_chat_request(r, keep)),
              R"([{"role":"system","content":"sys"},{"role":"user","content":"a"},)"
              R"({"role":"system","content":"env\n\nmore"},{"role":"user","content":"b"}])");
    ChatEncodeOptions as_user;
    as_user.mid_system = MidSystem::as_user;
    EXPECT_EQ(messages_of(encode_chat_request(r, as_user)),
              R"([{"role":"system","content":"sys"},{"role":"user","content":"a"},)"
              R"({"role":"user","content":"env\n\nmore"},{"role":"user","content":"b"}])");
}

TEST(ChatEncoder, SystemMessageAtTheFrontIsTheSystemMessage) {
    ir::Request r;  // no top-level system: a leading Role::system message is at position 0
    r.messages.push_back(msg(ir::Role::system, {text("env")}));
    r.messages.push_back(msg(ir::Role::user, {text("a")}));
    ChatEncodeOptions as_user;
    as_user.mid_system = MidSystem::as_user;
    EXPECT_EQ(messages_of(encode_chat_request(r, as_user)),
              R"([{"role":"system","content":"env"},{"role":"user","content":"a"}])");
}

TEST(ChatEncoder, UserSeveralTextBlocksAndImagesBecomeParts) {
    ir::Request r;
    ir::ContentBlock url_image;
    url_image.kind = ir::BlockKind::image;
    url_image.url = "https://example.com/a.png";
    r.messages.push_back(msg(ir::Role::user, {text("one"), text("two")}));
    r.messages.push_back(msg(ir::Role::user, {image_b64("image/png", "iVBORw0KGgo="), url_image, text("what?")}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]},)"
              R"({"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},)"
              R"({"type":"image_url","image_url":{"url":"https://example.com/a.png"}},{"type":"text","text":"what?"}]}])");
}

TEST(ChatEncoder, SingleImageIsStillAnArray) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::user, {image_b64("image/jpeg", "AAAA")}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,AAAA"}}]}])");
}

TEST(ChatEncoder, DocumentBlocksBecomeText) {
    ir::Request r;
    ir::ContentBlock doc;
    doc.kind = ir::BlockKind::document;
    doc.text = "plain document";
    ir::ContentBlock pdf;
    pdf.kind = ir::BlockKind::document;
    pdf.media_type = "application/pdf";
    pdf.data = "JVBERi0=";
    r.messages.push_back(msg(ir::Role::user, {doc, pdf}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"user","content":[{"type":"text","text":"plain document"},)"
              R"({"type":"text","text":"[document omitted: application/pdf]"}]}])");
}

TEST(ChatEncoder, AssistantTextThinkingAndToolCalls) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::assistant, {thinking("hmm"), text("Let me look."), tool_use("toolu_1", "Read", R"({"file_path": "/a",  "limit":10})"),
                                                   tool_use("toolu_2", "Bash", R"({"command":"ls"})")}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"assistant","content":"Let me look.","reasoning_content":"hmm","tool_calls":[)"
              R"({"id":"toolu_1","type":"function","function":{"name":"Read","arguments":"{\"file_path\": \"/a\",  \"limit\":10}"}},)"
              R"({"id":"toolu_2","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]}])");
}

TEST(ChatEncoder, AssistantToolOnlyHasNullContentAndThinkingOnlyEmptyContent) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::assistant, {tool_use("t1", "Read", "")}));
    r.messages.push_back(msg(ir::Role::assistant, {thinking("only thoughts")}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"Read","arguments":"{}"}}]},)"
              R"({"role":"assistant","content":"","reasoning_content":"only thoughts"}])");
}

TEST(ChatEncoder, ThinkingHistoryCanBeLeftOut) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::assistant, {thinking("a"), thinking("b"), text("x"), text("y")}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"assistant","content":"x\n\ny","reasoning_content":"a\n\nb"}])");
    ChatEncodeOptions opt;
    opt.send_thinking_history = false;
    EXPECT_EQ(messages_of(encode_chat_request(r, opt)), R"([{"role":"assistant","content":"x\n\ny"}])");
}

TEST(ChatEncoder, ToolResultsComeFirstAsToolMessages) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::assistant, {tool_use("t1", "Read", "{}"), tool_use("t2", "Bash", "{}")}));
    r.messages.push_back(msg(ir::Role::user, {text("<system-reminder>x</system-reminder>"), tool_result("t1", {text("line1"), text("line2")}),
                                              tool_result("t2", {text("not found")}, true)}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"assistant","content":null,"tool_calls":[)"
              R"({"id":"t1","type":"function","function":{"name":"Read","arguments":"{}"}},)"
              R"({"id":"t2","type":"function","function":{"name":"Bash","arguments":"{}"}}]},)"
              R"({"role":"tool","tool_call_id":"t1","content":"line1\n\nline2"},)"
              R"({"role":"tool","tool_call_id":"t2","content":"Error: not found"},)"
              R"({"role":"user","content":"<system-reminder>x</system-reminder>"}])");
}

TEST(ChatEncoder, ToolResultOnlyMessageSendsNoUserMessage) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::user, {tool_result("t1", {text("ok")}), tool_result("t2", {}, true)}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"tool","tool_call_id":"t1","content":"ok"},{"role":"tool","tool_call_id":"t2","content":"Error"}])");
}

TEST(ChatEncoder, ToolResultImagesFollowInAUserMessage) {
    ir::Request r;
    r.messages.push_back(msg(ir::Role::user, {tool_result("t1", {text("screenshot"), image_b64("image/png", "AAA")}),
                                              tool_result("t2", {image_b64("image/webp", "BBB")}), text("and?")}));
    EXPECT_EQ(messages_of(encode_chat_request(r, {})),
              R"([{"role":"tool","tool_call_id":"t1","content":"screenshot"},)"
              R"x({"role":"tool","tool_call_id":"t2","content":"(image attached below)"},)x"
              R"({"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAA"}},)"
              R"({"type":"image_url","image_url":{"url":"data:image/webp;base64,BBB"}},{"type":"text","text":"and?"}]}])");
}

TEST(ChatEncoder, ToolsSplicedRawAndDeferredToolsLeftOut) {
    ir::Request r = hello_request();
    r.tools.push_back({"Read", "Reads a file", R"({"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]})", false, false});
    r.tools.push_back({"Lazy", "deferred", R"({"type":"object"})", true, false});
    r.tools.push_back({"NoSchema", "", "", false, false});
    std::string body = encode_chat_request(r, {});
    EXPECT_NE(body.find(R"("tools":[{"type":"function","function":{"name":"Read","description":"Reads a file",)"
                        R"("parameters":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}},)"
                        R"({"type":"function","function":{"name":"NoSchema","parameters":{"type":"object","properties":{}}}}],)"),
              std::string::npos)
        << body;
    EXPECT_EQ(body.find("Lazy"), std::string::npos);
}

TEST(ChatEncoder, NoToolsMeansNoToolsKeyAndNoToolChoice) {
    ir::Request r = hello_request();
    r.tool_choice = ir::ToolChoice{ir::ToolChoice::Kind::any, "", true};
    std::string body = encode_chat_request(r, {});
    EXPECT_FALSE(has_key(body, "tools"));
    EXPECT_FALSE(has_key(body, "tool_choice"));
    EXPECT_FALSE(has_key(body, "parallel_tool_calls"));
    r.tools.push_back({"Lazy", "deferred", R"({"type":"object"})", true, false});  // only deferred tools
    EXPECT_FALSE(has_key(encode_chat_request(r, {}), "tools"));
}

TEST(ChatEncoder, ToolChoiceVariants) {
    ir::Request r = hello_request();
    r.tools.push_back({"Read", "", R"({"type":"object"})", false, false});
    auto choice_text = [&](ir::ToolChoice c) {
        r.tool_choice = c;
        std::string body = encode_chat_request(r, {});
        std::size_t from = body.find(R"("tool_choice":)");
        std::size_t to = body.find(R"(,"stream":)");
        return from == std::string::npos ? std::string() : body.substr(from, to - from);
    };
    EXPECT_EQ(choice_text({ir::ToolChoice::Kind::auto_, "", false}), R"("tool_choice":"auto")");
    EXPECT_EQ(choice_text({ir::ToolChoice::Kind::any, "", false}), R"("tool_choice":"required")");
    EXPECT_EQ(choice_text({ir::ToolChoice::Kind::none, "", false}), R"("tool_choice":"none")");
    EXPECT_EQ(choice_text({ir::ToolChoice::Kind::tool, "Read", false}),
              R"("tool_choice":{"type":"function","function":{"name":"Read"}})");
    EXPECT_EQ(choice_text({ir::ToolChoice::Kind::auto_, "", true}), R"("tool_choice":"auto","parallel_tool_calls":false)");
    r.tool_choice.reset();
    EXPECT_FALSE(has_key(encode_chat_request(r, {}), "tool_choice"));
}

TEST(ChatEncoder, MaxTokensClampedToCap) {
    ir::Request r = hello_request();
    r.max_tokens = 128000;
    ChatEncodeOptions opt;
    EXPECT_NE(encode_chat_request(r, opt).find(R"("max_tokens":128000,)"), std::string::npos);
    opt.max_tokens_cap = 32768;
    EXPECT_NE(encode_chat_request(r, opt).find(R"("max_tokens":32768,)"), std::string::npos);
    r.max_tokens = 100;
    EXPECT_NE(encode_chat_request(r, opt).find(R"("max_tokens":100,)"), std::string::npos);
    r.max_tokens = 0;
    EXPECT_FALSE(has_key(encode_chat_request(r, opt), "max_tokens"));
}

TEST(ChatEncoder, SamplingFieldsAndStopInOrder) {
    ir::Request r = hello_request();
    r.max_tokens = 10;
    r.temperature = 0.7;
    r.top_p = 0.95;
    r.top_k = 40;
    r.stop_sequences = {"###", "\nUser:"};
    EXPECT_EQ(encode_chat_request(r, {}),
              std::string(R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":10,"temperature":0.7,"top_p":0.95,)"
                          R"("top_k":40,"stop":["###","\nUser:"],)") + kTail);
    ir::Request plain = hello_request();
    std::string body = encode_chat_request(plain, {});
    for (const char* k : {"temperature", "top_p", "top_k", "stop"}) EXPECT_FALSE(has_key(body, k)) << k;
}

TEST(ChatEncoder, ResponseFormatFromOutputSchema) {
    ir::Request r = hello_request();
    r.output_schema_json = R"({"type":"object","properties":{"title":{"type":"string"}},"required":["title"]})";
    EXPECT_EQ(encode_chat_request(r, {}),
              std::string(R"({"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema",)"
                          R"("json_schema":{"name":"output","schema":{"type":"object","properties":{"title":{"type":"string"}},)"
                          R"("required":["title"]},"strict":true}},)") + kTail);
}

std::string thinking_fields(ir::Thinking::Kind kind, std::string effort, ThinkingControl control) {
    ir::Request r = hello_request();
    r.thinking.kind = kind;
    r.effort = std::move(effort);
    ChatEncodeOptions opt;
    opt.thinking = control;
    std::string body = encode_chat_request(r, opt);
    std::string head = R"({"messages":[{"role":"user","content":"hi"}],)";
    EXPECT_TRUE(body.starts_with(head)) << body;
    return body.substr(head.size(), body.size() - head.size() - std::string(kTail).size());
}

TEST(ChatEncoder, ThinkingAsTemplateKwargs) {
    using K = ir::Thinking::Kind;
    EXPECT_EQ(thinking_fields(K::adaptive, "medium", ThinkingControl::template_kwargs), R"("chat_template_kwargs":{"enable_thinking":true},)");
    EXPECT_EQ(thinking_fields(K::enabled, "", ThinkingControl::template_kwargs), R"("chat_template_kwargs":{"enable_thinking":true},)");
    EXPECT_EQ(thinking_fields(K::disabled, "high", ThinkingControl::template_kwargs), R"("chat_template_kwargs":{"enable_thinking":false},)");
    EXPECT_EQ(thinking_fields(K::unset, "high", ThinkingControl::template_kwargs), "");
}

TEST(ChatEncoder, ThinkingAsReasoningEffort) {
    using K = ir::Thinking::Kind;
    EXPECT_EQ(thinking_fields(K::disabled, "high", ThinkingControl::reasoning_effort), R"("reasoning_effort":"none",)");
    EXPECT_EQ(thinking_fields(K::adaptive, "low", ThinkingControl::reasoning_effort), R"("reasoning_effort":"low",)");
    EXPECT_EQ(thinking_fields(K::adaptive, "medium", ThinkingControl::reasoning_effort), R"("reasoning_effort":"medium",)");
    EXPECT_EQ(thinking_fields(K::enabled, "high", ThinkingControl::reasoning_effort), R"("reasoning_effort":"high",)");
    EXPECT_EQ(thinking_fields(K::enabled, "xhigh", ThinkingControl::reasoning_effort), R"("reasoning_effort":"high",)");
    EXPECT_EQ(thinking_fields(K::enabled, "max", ThinkingControl::reasoning_effort), R"("reasoning_effort":"high",)");
    EXPECT_EQ(thinking_fields(K::enabled, "", ThinkingControl::reasoning_effort), "");
    EXPECT_EQ(thinking_fields(K::unset, "high", ThinkingControl::reasoning_effort), "");
}

TEST(ChatEncoder, ThinkingControlNoneSendsNothing) {
    EXPECT_EQ(thinking_fields(ir::Thinking::Kind::disabled, "high", ThinkingControl::none), "");
    EXPECT_EQ(thinking_fields(ir::Thinking::Kind::adaptive, "high", ThinkingControl::none), "");
}

TEST(ChatEncoder, FullKeyOrder) {
    ir::Request r = hello_request();
    r.tools.push_back({"Read", "", R"({"type":"object"})", false, false});
    r.tool_choice = ir::ToolChoice{ir::ToolChoice::Kind::auto_, "", true};
    r.max_tokens = 5;
    r.temperature = 1.0;
    r.top_p = 1.0;
    r.top_k = 1;
    r.stop_sequences = {"x"};
    r.output_schema_json = "{}";
    r.thinking.kind = ir::Thinking::Kind::enabled;
    ChatEncodeOptions opt;
    opt.model = "m";
    opt.thinking = ThinkingControl::template_kwargs;
    auto parsed = json::parse(encode_chat_request(r, opt));
    ASSERT_TRUE(parsed.ok());
    std::vector<std::string> keys;
    for (const auto& kv : parsed.value.as_object()) keys.emplace_back(kv.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"model", "messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens",
                                              "temperature", "top_p", "top_k", "stop", "response_format", "chat_template_kwargs",
                                              "stream", "stream_options"}));
}

TEST(ChatEncoder, SameRequestSameBytes) {
    ir::Request r = hello_request();
    r.system = {text("s")};
    r.tools.push_back({"Read", "d", R"({"b":1,"a":2})", false, false});
    r.messages.push_back(msg(ir::Role::assistant, {tool_use("t", "Read", R"({"z":1,"a":[1,2]})")}));
    r.messages.push_back(msg(ir::Role::user, {tool_result("t", {text("r")})}));
    std::string first = encode_chat_request(r, {});
    EXPECT_EQ(first, encode_chat_request(r, {}));
    EXPECT_NE(first.find(R"("parameters":{"b":1,"a":2})"), std::string::npos);  // client key order kept
}

}  // namespace
}  // namespace anyclaude::openai
