// The per-request summary read from what the gateway sent (SSE frames, whole bodies), the session
// key, and the request log's line format (request_log.hpp) and its in-memory list.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "observe/request_log.hpp"
#include "observe/sessions.hpp"

using namespace anyclaude;
using namespace anyclaude::observe;
namespace bj = boost::json;

namespace {

const char* kFrames =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\","
    "\"usage\":{\"input_tokens\":5,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
    "\"usage\":{\"input_tokens\":5,\"cache_read_input_tokens\":90,\"cache_creation_input_tokens\":4,\"output_tokens\":12}}\n\n";

}  // namespace

TEST(RequestSummary, ReadsUsageStopReasonAndIdFromTheStream) {
    RequestSummary s;
    s.stream = true;
    s.frames = kFrames;
    read_answer(s);
    EXPECT_EQ(s.message_id, "msg_1");
    EXPECT_EQ(s.stop_reason, "tool_use");
    EXPECT_EQ(s.usage.cache_read_input_tokens, 90);
    EXPECT_EQ(s.usage.cache_creation_input_tokens, 4);
    EXPECT_EQ(s.usage.output_tokens, 12);
    EXPECT_EQ(s.usage.prompt_tokens(), 99);
}

TEST(RequestSummary, ReadsAWholeBodyAndAnError) {
    RequestSummary s;
    s.json_body = R"({"id":"msg_2","stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":2}})";
    read_answer(s);
    EXPECT_EQ(s.message_id, "msg_2");
    EXPECT_EQ(s.stop_reason, "end_turn");
    RequestSummary e;
    e.json_body = R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})";
    read_answer(e);
    EXPECT_EQ(e.error_type, "overloaded_error");
    EXPECT_EQ(e.error, "busy");
}

TEST(RequestSummary, SessionKeyFromHeaderElseUserId) {
    http::Request req;
    const std::string uid = R"({"device_id": "d", "account_uuid": "", "session_id": "abc-123"})";
    EXPECT_EQ(session_key(req, uid), "abc-123");
    EXPECT_EQ(session_key(req, "user_plain"), "");
    req.set("X-Claude-Code-Session-Id", "hdr-9");
    EXPECT_EQ(session_key(req, uid), "hdr-9");
}

TEST(RequestLog, OneLineWithTheDocumentedFieldsAndNoBody) {
    RequestSummary s;
    s.arrived_epoch_ms = 1'700'000'000'123.0;
    s.route = "messages";
    s.session = "abc";
    s.model_asked = "claude-sonnet-4-5";
    s.model_served = "tiny.gguf";
    s.backend = "embedded";
    s.stream = true;
    s.status = 200;
    s.frames = kFrames;
    s.ttft_ms = 12.5;
    s.total_ms = 40;
    s.tier = "ram";
    s.reused_tokens = 90;
    s.queue_wait_ms = 0.5;
    read_answer(s);
    auto o = bj::parse(log_line(s)).as_object();
    EXPECT_EQ(o["time"].as_string(), "2023-11-14T22:13:20.123Z");
    const char* fields[] = {"time", "route", "session", "model_asked", "model_served", "backend", "status",
                            "stop_reason", "ttft_ms", "total_ms", "input_tokens", "cache_read_input_tokens",
                            "cache_creation_input_tokens", "output_tokens", "tier", "reused_tokens",
                            "queue_wait_ms", "client_disconnect"};
    for (const char* f : fields) EXPECT_TRUE(o.contains(f)) << f;
    EXPECT_EQ(o.size(), std::size(fields));
    EXPECT_EQ(o["stop_reason"].as_string(), "tool_use");
    EXPECT_EQ(o["cache_read_input_tokens"].as_int64(), 90);
}

TEST(RequestLog, WritesApiRequestsOnlyAndKeepsTheLastOnes) {
    auto path = std::filesystem::path(testing::TempDir()) / "anyclaude-request-log.jsonl";
    std::filesystem::remove(path);
    std::string why;
    auto log = RequestLog::open(path.string(), &why);
    ASSERT_TRUE(log) << why;
    RequestSummary api, scrape;
    api.route = "messages";
    scrape.route = "metrics";
    for (int i = 0; i < 205; ++i) log->end(api, nullptr);
    log->end(scrape, nullptr);
    EXPECT_EQ(log->recent(1000).size(), 200u);
    log.reset();
    std::ifstream f(path);
    int lines = 0;
    for (std::string l; std::getline(f, l);) ++lines;
    EXPECT_EQ(lines, 205);
}

TEST(SessionBook, TurnsPerSessionWithCachedFractionAndWhereItIsHeld) {
    SessionBook book;
    RequestSummary s;
    s.route = "messages";
    s.status = 200;
    s.session = "A";
    s.message_id = "msg_a2";
    s.usage.input_tokens = 10;
    s.usage.cache_read_input_tokens = 90;
    s.tier = "live";
    s.reused_tokens = 90;
    book.end(s, nullptr);
    book.end(s, nullptr);
    s.session = "B";
    s.message_id = "msg_b1";
    book.end(s, nullptr);
    std::vector<SequenceFigures> seqs{{0, 100, false, "main", "msg_a2", 0}};
    auto a = bj::parse(book.json(seqs, true)).as_array();
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].as_object().at("key").as_string(), "B");  // most recent first
    EXPECT_EQ(a[0].as_object().at("held").as_string(), "ram/disk snapshot");
    const auto& sa = a[1].as_object();
    EXPECT_EQ(sa.at("turns").as_int64(), 2);
    EXPECT_EQ(sa.at("held").as_string(), "live (sequence 0)");
    EXPECT_DOUBLE_EQ(sa.at("series").as_array()[0].as_object().at("cached_fraction").as_double(), 0.9);
}
