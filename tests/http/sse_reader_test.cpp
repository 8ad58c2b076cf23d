// SseReader: events split at every byte boundary, line-end variants, comments, multi-line data.
#include <gtest/gtest.h>

#include "http/sse_reader.hpp"

using anyclaude::http::SseEvent;
using anyclaude::http::SseReader;

namespace {
std::vector<SseEvent> read_all(const std::string& text, std::size_t step) {
    SseReader r;
    std::vector<SseEvent> out;
    for (std::size_t i = 0; i < text.size(); i += step) r.feed(text.substr(i, step), out);
    r.finish(out);
    return out;
}
}  // namespace

TEST(SseReader, ParsesEventsSplitAtEveryByte) {
    std::string text = "event: a\ndata: {\"x\":1}\n\n: comment\n\ndata: line1\ndata: line2\n\nevent: b\r\ndata:no-space\r\n\r\n";
    for (std::size_t step = 1; step <= text.size(); ++step) {
        auto ev = read_all(text, step);
        ASSERT_EQ(ev.size(), 3u) << "step " << step;
        EXPECT_EQ(ev[0].event, "a");
        EXPECT_EQ(ev[0].data, "{\"x\":1}");
        EXPECT_EQ(ev[1].event, "");
        EXPECT_EQ(ev[1].data, "line1\nline2");
        EXPECT_EQ(ev[2].event, "b");
        EXPECT_EQ(ev[2].data, "no-space");
    }
}

TEST(SseReader, BareCarriageReturnsEndLines) {
    auto ev = read_all("data: a\r\rdata: b\r\r", 3);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].data, "a");
    EXPECT_EQ(ev[1].data, "b");
}

TEST(SseReader, UnterminatedEventIsDeliveredAtFinish) {
    auto ev = read_all("data: [DONE]", 4);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].data, "[DONE]");
}

TEST(SseReader, EventsWithoutDataAreDropped) {
    auto ev = read_all("event: ping\n\n: keepalive\n\n", 5);
    EXPECT_TRUE(ev.empty());
}
