// `--record DIR` through the whole gateway on loopback (recorder.hpp's contract: bodies byte for
// byte, no credentials, the answer's status/usage/TTFT, the in-flight set, numbering that goes on
// across restarts) and --record-redact's filler (redact.hpp). The byte-for-byte round trip through
// replay and the real-tokenizer count are in tests/e2e/record_replay.test.mjs.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "app/gateway_fixture.hpp"
#include "app/recorder.hpp"
#include "app/redact.hpp"
#include "support/test_support.hpp"

using namespace anyclaude;
using namespace anyclaude::test;
namespace bj = boost::json;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& tag) {
    fs::path d = fs::path(testing::TempDir()) / ("anyclaude-recorder-" + tag);
    fs::remove_all(d);
    return d;
}

// index.jsonl's lines as objects, by seq.
std::map<int64_t, bj::object> read_index(const fs::path& dir) {
    std::map<int64_t, bj::object> out;
    std::ifstream f(dir / "index.jsonl");
    for (std::string line; std::getline(f, line);) {
        auto o = bj::parse(line).as_object();
        out[o["seq"].to_number<int64_t>()] = o;
    }
    return out;
}

// Odd spacing and key order on purpose: a re-serialised body would differ.
const std::string kStream =
    "{ \"model\":\"claude-sonnet-4-5\",  \"stream\":true,\"max_tokens\":100,\n"
    "  \"messages\":[{\"role\":\"user\",\"content\":\"hi \\u00e9\"}]}";
const std::string kCount = R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"count me"}]})";

}  // namespace

TEST(Recorder, RecordsBodiesHeadersAndAnswers) {
    fs::path dir = fresh_dir("basic");
    {
        GatewayFixture f([&](app::Config& c) { c.record = dir.string(); });
        f.upstream.push(text_reply({"Hello", " there"}, 120, 100));
        auto r = f.post(kStream, {{"x-api-key", "sk-secret-1"}, {"Authorization", "Bearer sk-secret-2"},
                                  {"anthropic-beta", "claude-code-20250219"}, {"X-Claude-Code-Session-Id", "s-1"}});
        ASSERT_EQ(r.status, 200u) << r.body;
        EXPECT_EQ(f.post(kCount, {}, "/v1/messages/count_tokens").status, 200u);
        EXPECT_EQ(f.post("{not json", {}).status, 400u);
    }  // the gateway stops: the recorder writes what is queued
    ASSERT_EQ(read_file((dir / "requests/000001.json").string()), kStream);
    ASSERT_EQ(read_file((dir / "requests/000002.json").string()), kCount);
    ASSERT_EQ(read_file((dir / "requests/000003.json").string()), "{not json");
    auto index = read_index(dir);
    ASSERT_EQ(index.size(), 3u);

    auto& s = index[1];
    EXPECT_EQ(s["target"], "/v1/messages?beta=true");
    EXPECT_EQ(s["method"], "POST");
    EXPECT_EQ(s["file"], "requests/000001.json");
    EXPECT_EQ(s["bytes"].to_number<int64_t>(), static_cast<int64_t>(kStream.size()));
    EXPECT_EQ(s["status"].to_number<int64_t>(), 200);
    EXPECT_EQ(s["stream"], true);
    EXPECT_EQ(s["complete"], true);
    EXPECT_TRUE(s["ttft_ms"].is_number());
    EXPECT_GE(s["total_ms"].to_number<double>(), s["ttft_ms"].to_number<double>());
    auto& h = s["headers"].as_object();
    EXPECT_EQ(h["anthropic-beta"], "claude-code-20250219");
    EXPECT_EQ(h["x-claude-code-session-id"], "s-1");
    EXPECT_FALSE(h.contains("x-api-key"));
    EXPECT_FALSE(h.contains("authorization"));
    EXPECT_EQ(read_file((dir / "index.jsonl").string()).find("sk-secret"), std::string::npos);
    auto& u = s["usage"].as_object();
    EXPECT_EQ(u["input_tokens"].to_number<int64_t>(), 20);
    EXPECT_EQ(u["cache_read_input_tokens"].to_number<int64_t>(), 100);
    EXPECT_EQ(u["output_tokens"].to_number<int64_t>(), 2);

    EXPECT_EQ(index[2]["target"], "/v1/messages/count_tokens");
    EXPECT_TRUE(index[2]["usage"].as_object()["input_tokens"].is_number());
    EXPECT_EQ(index[3]["status"].to_number<int64_t>(), 400);
    EXPECT_EQ(index[3]["complete"], false);
    EXPECT_TRUE(index[3].contains("error"));
    for (auto& [seq, line] : index) EXPECT_TRUE(line["in_flight"].as_array().empty()) << seq;
}

TEST(Recorder, OverlappingRequestsNameWhatWasInFlightAndSeqGoesOnAfterARestart) {
    fs::path dir = fresh_dir("overlap");
    {
        GatewayFixture f([&](app::Config& c) { c.record = dir.string(); });
        auto slow = text_reply({"slow"});
        slow.delay_before_headers = std::chrono::milliseconds(600);
        f.upstream.push(slow);
        auto first = std::async(std::launch::async, [&] { return f.post(kStream); });
        while (f.upstream.bodies().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        f.upstream.push(text_reply({"fast"}));
        EXPECT_EQ(f.post(kStream).status, 200u);
        EXPECT_EQ(first.get().status, 200u);
    }
    {
        GatewayFixture f([&](app::Config& c) { c.record = dir.string(); });
        f.upstream.push(text_reply({"again"}));
        EXPECT_EQ(f.post(kStream).status, 200u);
    }
    auto index = read_index(dir);
    ASSERT_EQ(index.size(), 3u);
    EXPECT_TRUE(index[1]["in_flight"].as_array().empty());
    ASSERT_EQ(index[2]["in_flight"].as_array().size(), 1u);
    EXPECT_EQ(index[2]["in_flight"].as_array()[0].to_number<int64_t>(), 1);
    EXPECT_LE(index[1]["arrived_epoch_ms"].to_number<double>(), index[2]["arrived_epoch_ms"].to_number<double>());
    EXPECT_NE(index[1]["conn"], index[2]["conn"]) << "two connections at once";
    EXPECT_TRUE(index[3]["in_flight"].as_array().empty());
    EXPECT_TRUE(fs::exists(dir / "requests/000003.json")) << "numbering goes on after a restart";
}

TEST(Recorder, CredentialHeadersAreNeverRecorded) {
    for (const char* h : {"x-api-key", "authorization", "proxy-authorization", "cookie", "x-auth-token", "x-my-secret"})
        EXPECT_FALSE(app::recorded_header(h)) << h;
    for (const char* h : {"anthropic-beta", "anthropic-version", "x-claude-code-session-id", "x-claude-code-agent-id",
                          "user-agent", "x-app", "content-type"})
        EXPECT_TRUE(app::recorded_header(h)) << h;
}

TEST(Redact, FillerKeepsLengthShapeAndIsDeterministic) {
    const std::string code = "int getUserName(HTTPServer* s) { return s->port + 8080; }\n\t// café";
    const std::string f = app::filler_text(code);
    EXPECT_EQ(f, app::filler_text(code));
    EXPECT_NE(f, code);
    ASSERT_EQ(f.size(), code.size() - 1) << "é (2 bytes) becomes one letter: " << f;
    for (std::size_t i = 0; i + 1 < f.size(); ++i) {
        const char a = code[i], b = f[i];
        EXPECT_EQ(std::isalpha(static_cast<unsigned char>(a)) != 0, std::isalpha(static_cast<unsigned char>(b)) != 0) << i;
        EXPECT_EQ(std::isupper(static_cast<unsigned char>(a)) != 0, std::isupper(static_cast<unsigned char>(b)) != 0) << i;
        EXPECT_EQ(std::isdigit(static_cast<unsigned char>(a)) != 0, std::isdigit(static_cast<unsigned char>(b)) != 0) << i;
        if (!std::isalnum(static_cast<unsigned char>(a))) EXPECT_EQ(a, b) << i;
    }
    EXPECT_EQ(f.find("getUserName"), std::string::npos);
    EXPECT_EQ(app::filler_paths("see /home/ana/proj/main.c and ~/notes, https://x.org/a/b, a/b"),
              "see " + app::filler_text("/home/ana/proj/main.c") + " and " + app::filler_text("~/notes") +
                  ", https://x.org/a/b, a/b");
}

TEST(Redact, ReplacesFileContentsAndPathsAndKeepsTheRest) {
    const std::string body = R"({"model":"m","system":[{"type":"text","text":"cwd: /home/ana/proj","cache_control":{"type":"ephemeral"}}],)"
        R"("tools":[{"name":"Read","input_schema":{"type":"object"}}],"messages":[)"
        R"({"role":"user","content":"<system-reminder>Contents of CLAUDE.md: secret plan</system-reminder>fix /home/ana/proj/a.c"},)"
        R"({"role":"assistant","content":[{"type":"text","text":"Reading."},{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"/home/ana/proj/a.c","limit":10}}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"int secret_key = 42;"}]},)"
        R"({"type":"text","text":"go on","cache_control":{"type":"ephemeral"}}]}],"max_tokens":32,"stream":true})";
    const std::string red = app::redact_body(body);
    auto v = bj::parse(red).as_object();  // valid JSON
    for (const char* gone : {"ana", "proj", "secret", "plan", "42"}) EXPECT_EQ(red.find(gone), std::string::npos) << gone << ": " << red;
    for (const char* kept : {"toolu_1", "\"Read\"", "tool_result", "ephemeral", "<system-reminder>", "go on", "Reading.", "\"limit\":10"})
        EXPECT_NE(red.find(kept), std::string::npos) << kept << ": " << red;
    EXPECT_EQ(red.size(), body.size());
    EXPECT_EQ(app::redact_body(body), red);
    EXPECT_EQ(app::redact_body("not json: /etc/passwd"), app::filler_text("not json: /etc/passwd"));
}
