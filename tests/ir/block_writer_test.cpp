// ir::BlockWriter (src/ir/block_writer.hpp): the one writer of content-block events, used by the
// upstream stream decoder (openai::BlockSequence) and the engine's output parser alike.
#include <gtest/gtest.h>

#include <variant>

#include "ir/block_writer.hpp"
#include "ir/thinking_signature.hpp"

namespace anyclaude::ir {
namespace {

// "start 0 thinking", "delta 0 thinking:hm", "stop 0" ... in order.
std::vector<std::string> trace(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        if (auto* s = std::get_if<BlockStart>(&e))
            out.push_back("start " + std::to_string(s->index) + " " + std::to_string(static_cast<int>(s->kind)) +
                          (s->tool_name.empty() ? "" : " " + s->tool_name));
        else if (auto* d = std::get_if<BlockDelta>(&e))
            out.push_back("delta " + std::to_string(d->index) + " " + std::to_string(static_cast<int>(d->kind)) + ":" +
                          d->data);
        else if (auto* st = std::get_if<BlockStop>(&e))
            out.push_back("stop " + std::to_string(st->index));
    }
    return out;
}

TEST(BlockWriter, IndicesInStartOrderOneOpenAtATimeSignatureAndEmptyToolInput) {
    BlockWriter w;
    std::vector<Event> ev;
    const int thinking = static_cast<int>(BlockKind::thinking);
    const int text = static_cast<int>(BlockKind::text);
    const int tool = static_cast<int>(BlockKind::tool_use);
    w.start(BlockKind::thinking, ev);
    w.delta("hm", ev);
    w.start(BlockKind::text, ev);  // closes the thinking block, with its signature
    w.delta("hi", ev);
    EXPECT_EQ(w.start_tool("toolu_1", "Read", ev), 2);
    w.delta(" \n", ev);  // whitespace only: the block still gets "{}" at its end
    w.stop(ev);
    w.delta("dropped", ev);  // nothing open
    w.stop(ev);              // nothing open: nothing
    const std::vector<std::string> want = {
        "start 0 " + std::to_string(thinking),
        "delta 0 " + std::to_string(static_cast<int>(DeltaKind::thinking)) + ":hm",
        "delta 0 " + std::to_string(static_cast<int>(DeltaKind::signature)) + ":" + thinking_signature("hm"),
        "stop 0",
        "start 1 " + std::to_string(text),
        "delta 1 " + std::to_string(static_cast<int>(DeltaKind::text)) + ":hi",
        "stop 1",
        "start 2 " + std::to_string(tool) + " Read",
        "delta 2 " + std::to_string(static_cast<int>(DeltaKind::input_json)) + ": \n",
        "delta 2 " + std::to_string(static_cast<int>(DeltaKind::input_json)) + ":{}",
        "stop 2",
    };
    EXPECT_EQ(trace(ev), want);
    EXPECT_EQ(w.open_index(), -1);
}

TEST(BlockWriter, ToolInputThatArrivedIsNotCompletedWithBraces) {
    BlockWriter w;
    std::vector<Event> ev;
    w.start_tool("toolu_2", "Bash", ev);
    w.delta("{\"command\":\"ls\"}", ev);
    w.stop(ev);
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(std::get<BlockDelta>(ev[1]).data, "{\"command\":\"ls\"}");
}

}  // namespace
}  // namespace anyclaude::ir
