// Bad input, table-driven: every row is one request (or one misbehaving connection) sent to the
// whole gateway on loopback, with the Anthropic error it must get back. Each row is its own test
// (BadInput/Table.Case/<name>), and each then checks that the gateway keeps serving: the bad
// request never reached the backend, and a good request right after it is answered normally.
//
// Rows that need the embedded engine live with the engine's tests: a prompt longer than the
// context (400 naming both numbers) in tests/engine/engine_test.cpp and
// tests/e2e/embedded_limits.test.mjs.
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "app/gateway_fixture.hpp"

using namespace anyclaude;
using namespace anyclaude::test;
namespace bj = boost::json;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

const std::string kGood =
    R"({"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]})";

using Gateway = GatewayFixture;
using Headers = std::vector<std::pair<std::string, std::string>>;


// Writes raw bytes and sends nothing more; reads until the server closes. Parses the status and
// the body of the one response.
SimpleResponse raw_exchange(unsigned short port, const std::string& bytes) {
    net::io_context ioc;
    tcp::socket sock(ioc);
    sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    net::write(sock, net::buffer(bytes));
    std::string reply;
    char buf[4096];
    beast::error_code ec;
    for (;;) {
        std::size_t n = sock.read_some(net::buffer(buf), ec);
        reply.append(buf, n);
        if (ec) break;
    }
    SimpleResponse out;
    if (reply.rfind("HTTP/1.1 ", 0) == 0) out.status = static_cast<unsigned>(std::stoi(reply.substr(9, 3)));
    if (auto end = reply.find("\r\n\r\n"); end != std::string::npos) out.body = reply.substr(end + 4);
    return out;
}

std::string with_messages(const std::string& messages) {
    return R"({"model":"claude-sonnet-4-5","max_tokens":100,"messages":)" + messages + "}";
}
std::string with_field(const std::string& field) {
    return R"({"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}],)" + field +
           "}";
}
std::string user_blocks(const std::string& blocks) { return with_messages(R"([{"role":"user","content":[)" + blocks + "]}]"); }
std::string image_block(const std::string& media_type, const std::string& data) {
    return R"({"type":"image","source":{"type":"base64","media_type":")" + media_type + R"(","data":")" + data + R"("}})";
}

struct Case {
    std::string name;
    unsigned status;
    std::string type;     // the error's type
    std::string message;  // a part of the error's message
    std::function<SimpleResponse(Gateway&)> send;
    std::function<void(app::Config&)> tweak = {};
    std::size_t reaches_backend = 0;  // requests the backend should have seen (the 529 row's first)
};

Case body_case(std::string name, std::string body, std::string message) {
    return {std::move(name), 400, "invalid_request_error", std::move(message),
            [body = std::move(body)](Gateway& g) { return g.post(body); }};
}

std::vector<Case> cases() {
    std::string cc = R"("cache_control":{"type":"ephemeral"})";
    std::string five_breakpoints;
    for (int i = 0; i < 5; ++i) five_breakpoints += (i ? "," : "") + (R"({"type":"text","text":"t)" + std::to_string(i) + R"(",)" + cc + "}");
    std::string deep = with_field(R"("metadata":{"user_id":"u"},"x":)" + std::string(200, '[') + std::string(200, ']'));
    std::string invalid_utf8 = with_messages(std::string(R"([{"role":"user","content":"bad )") + "\xC3\x28" + R"( byte"}])");

    std::vector<Case> v = {
        body_case("MalformedJson", R"({"model":"claude-sonnet-4-5","max_tokens":)", "malformed JSON"),
        body_case("TrailingGarbage", kGood + " }", "malformed JSON"),
        body_case("EmptyBody", "", "malformed JSON"),
        body_case("BodyIsAnArray", "[1,2,3]", "Input should be a valid dictionary"),
        body_case("ModelWrongType", R"({"model":7,"max_tokens":100,"messages":[{"role":"user","content":"hi"}]})",
                  "model: Input should be a valid string"),
        body_case("ModelMissing", R"({"max_tokens":100,"messages":[{"role":"user","content":"hi"}]})",
                  "model: Field required"),
        body_case("MaxTokensMissing", R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]})",
                  "max_tokens: Field required"),
        body_case("MaxTokensZero", R"({"model":"claude-sonnet-4-5","max_tokens":0,"messages":[{"role":"user","content":"hi"}]})",
                  "max_tokens: Input should be greater than or equal to 1"),
        body_case("MaxTokensNegative", R"({"model":"claude-sonnet-4-5","max_tokens":-1,"messages":[{"role":"user","content":"hi"}]})",
                  "max_tokens: Input should be greater than or equal to 1"),
        body_case("MaxTokensHuge",
                  R"({"model":"claude-sonnet-4-5","max_tokens":9007199254740993,"messages":[{"role":"user","content":"hi"}]})",
                  "max_tokens: Input should be less than or equal to 1048576"),
        body_case("MaxTokensFractional",
                  R"({"model":"claude-sonnet-4-5","max_tokens":10.5,"messages":[{"role":"user","content":"hi"}]})",
                  "max_tokens: Input should be a valid integer"),
        body_case("MessagesMissing", R"({"model":"claude-sonnet-4-5","max_tokens":100})", "messages: Field required"),
        body_case("MessagesEmpty", with_messages("[]"), "messages: at least one message is required"),
        body_case("MessagesNotAList", with_messages(R"({"role":"user"})"), "messages: Input should be a valid list"),
        body_case("InvalidRole", with_messages(R"([{"role":"tool","content":"hi"}])"), "messages.0.role: Input should be 'user' or 'assistant'"),
        body_case("RoleWrongType", with_messages(R"([{"role":["user"],"content":"hi"}])"), "messages.0.role: Input should be 'user' or 'assistant'"),
        body_case("ContentWrongType", with_messages(R"([{"role":"user","content":42}])"), "messages.0.content: Input should be a valid string or a list of content blocks"),
        body_case("ContentMissing", with_messages(R"([{"role":"user"}])"), "messages.0.content: Field required"),
        body_case("UnknownBlockType", user_blocks(R"({"type":"hologram","text":"x"})"), "Input tag 'hologram' found using 'type'"),
        body_case("BlockWithoutType", user_blocks(R"({"text":"x"})"), "Unable to extract tag using discriminator 'type'"),
        body_case("TextBlockWithoutText", user_blocks(R"({"type":"text"})"), "messages.0.content.0.text"),
        body_case("ToolResultWithoutToolUse",
                  with_messages(R"([{"role":"user","content":"a"},{"role":"assistant","content":"b"},
                                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_X","content":"r"}]}])"),
                  "must have a corresponding `tool_use` block in the previous message"),
        body_case("ToolUseWithoutInput",
                  with_messages(R"([{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read"}]}])"),
                  "messages.1.content.0.input"),
        body_case("InvalidUtf8", invalid_utf8, "not valid UTF-8"),
        body_case("BadBase64Image", user_blocks(image_block("image/png", "not*base64!")), "source.data: Input should be valid base64 data"),
        body_case("UnsupportedImageType", user_blocks(image_block("image/bmp", "AAAA")), "source.media_type: Input should be"),
        body_case("FiveCacheBreakpoints", user_blocks(five_breakpoints), "A maximum of 4 blocks with cache_control may be provided. Found 5."),
        body_case("NestingTooDeep", deep, "nesting deeper than"),
        body_case("ToolWithoutSchema", with_field(R"("tools":[{"name":"Read"}])"), "tools.0.input_schema: Field required"),
        body_case("ToolBadName", with_field(R"("tools":[{"name":"no spaces allowed","input_schema":{"type":"object"}}])"),
                  "tools.0.name"),
        body_case("ToolChoiceUnknownType", with_field(R"("tool_choice":{"type":"sometimes"})"), "tool_choice.type: Input tag 'sometimes'"),
        body_case("TemperatureOutOfRange", with_field(R"("temperature":3.5)"), "temperature: Input should be less than or equal to 1"),
        body_case("StreamWrongType", with_field(R"("stream":"yes")"), "stream: Input should be a valid boolean"),
        body_case("SystemWrongType", with_field(R"("system":{"text":"x"})"), "system: Input should be a valid string or a list of text blocks"),
        body_case("StopSequencesWrongType", with_field(R"("stop_sequences":"END")"), "stop_sequences: Input should be a valid list"),
        body_case("ThinkingBudgetTooSmall", with_field(R"("thinking":{"type":"enabled","budget_tokens":10})"),
                  "budget_tokens"),
        {"CountTokensMalformed", 400, "invalid_request_error", "malformed JSON",
         [](Gateway& g) { return g.post("{\"model\":", {}, "/v1/messages/count_tokens"); }},
        {"BodyOverTheLimit", 413, "request_too_large", "maximum allowed size",
         [](Gateway& g) { return g.post(with_messages(R"([{"role":"user","content":")" + std::string(2u << 20, 'a') + "\"}]")); },
         [](app::Config& c) { c.max_body_bytes = 1u << 20; }},
        {"HeaderFlood", 431, "invalid_request_error", "headers are too large",
         [](Gateway& g) {
             Headers h;
             for (int i = 0; i < 200; ++i) h.push_back({"x-flood-" + std::to_string(i), std::string(500, 'h')});
             return g.post(kGood, h);
         }},
        {"SlowSender", 408, "timeout_error", "not received in full within 300 ms",
         [](Gateway& g) {
             // Headers promise 1000 bytes; 10 arrive, then nothing.
             return raw_exchange(g.port(), "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                                           "Content-Length: 1000\r\n\r\n{\"model\":");
         },
         [](app::Config& c) { c.request_timeout_ms = 300; }},
        {"MalformedHttp", 400, "invalid_request_error", "Malformed HTTP request",
         [](Gateway& g) { return raw_exchange(g.port(), "POST /v1/messages HTTP/1.1\r\nContent-Length: banana\r\n\r\n"); }},
        {"TooManyConcurrentRequests", 529, "overloaded_error", "Too many concurrent requests",
         [](Gateway& g) {
             ScriptedReply slow = text_reply({"x"});
             slow.delay_before_headers = std::chrono::milliseconds(400);
             g.upstream.push(slow);
             SimpleResponse first;
             std::thread t([&] { first = g.post(kGood); });
             for (int i = 0; i < 400 && g.upstream.bodies().empty(); ++i)
                 std::this_thread::sleep_for(std::chrono::milliseconds(5));
             SimpleResponse second = g.post(kGood);
             t.join();
             EXPECT_EQ(first.status, 200u) << first.body;
             return second;
         },
         [](app::Config& c) { c.max_concurrent_requests = 1; }, 1},
        {"MissingApiKey", 401, "authentication_error", "x-api-key", [](Gateway& g) { return g.post(kGood); },
         [](app::Config& c) { c.api_key = "sekret-key"; }},
        {"WrongApiKey", 401, "authentication_error", "x-api-key",
         [](Gateway& g) { return g.post(kGood, {{"x-api-key", "sekret-kez"}}); },
         [](app::Config& c) { c.api_key = "sekret-key"; }},
        {"UnknownPath", 404, "not_found_error", "/v1/complete", [](Gateway& g) { return g.post(kGood, {}, "/v1/complete"); }},
        {"WrongMethod", 405, "invalid_request_error", "use POST",
         [](Gateway& g) { return http_request(g.port(), "GET", "/v1/messages"); }},
    };
    return v;
}

class Table : public ::testing::TestWithParam<Case> {};

TEST_P(Table, Case) {
    const Case& c = GetParam();
    Gateway g(c.tweak);
    SimpleResponse r = c.send(g);
    EXPECT_EQ(r.status, c.status) << r.body;
    bj::error_code ec;
    bj::value v = bj::parse(r.body, ec);
    ASSERT_FALSE(ec) << "not JSON: " << r.body;
    ASSERT_TRUE(v.is_object()) << r.body;
    EXPECT_EQ(v.at("type"), "error") << r.body;
    const bj::value* err = v.as_object().if_contains("error");
    ASSERT_TRUE(err && err->is_object()) << r.body;
    EXPECT_EQ(err->at("type"), bj::value(c.type)) << r.body;
    ASSERT_TRUE(err->at("message").is_string()) << r.body;
    std::string message(err->at("message").as_string());
    EXPECT_NE(message.find(c.message), std::string::npos) << "message: " << message;
    EXPECT_EQ(g.upstream.bodies().size(), c.reaches_backend) << "a rejected request reached the backend";

    // Still serving: a good request right after is answered, and it is the only one the backend sees.
    Headers h;
    if (c.name == "MissingApiKey" || c.name == "WrongApiKey") h.push_back({"x-api-key", "sekret-key"});
    SimpleResponse ok = g.post(kGood, h);
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_NE(ok.body.find(R"("type":"message")"), std::string::npos) << ok.body;
    EXPECT_EQ(g.upstream.bodies().size(), c.reaches_backend + 1);
}

INSTANTIATE_TEST_SUITE_P(BadInput, Table, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// The README's Hardening section states the table's size ("a table of N rows"); the two must
// agree, so a row added or removed without updating the README fails here.
std::optional<std::size_t> rows_the_readme_states() {
    std::ifstream in(std::string(ANYCLAUDE_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    std::smatch m;
    const std::string s = text.str();
    if (!std::regex_search(s, m, std::regex(R"(bad_input_table_test\.cpp`\):\s+a\s+table\s+of\s+(\d+)\s+rows)")))
        return std::nullopt;
    return std::stoul(m[1].str());
}

TEST(BadInputTable, HasAsManyRowsAsTheReadmeStates) {
    auto stated = rows_the_readme_states();
    ASSERT_TRUE(stated) << "README.md (" << ANYCLAUDE_SOURCE_DIR
                        << ") no longer says \"(`tests/app/bad_input_table_test.cpp`): a table of N rows\"";
    EXPECT_EQ(cases().size(), *stated);
}

}  // namespace
