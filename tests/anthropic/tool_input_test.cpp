// Completion of tool input JSON that a stream left unfinished.
#include <gtest/gtest.h>

#include "anthropic/tool_input.hpp"

namespace anyclaude::anthropic {
namespace {

TEST(ToolInput, CompleteObjectIsCanonical) {
    EXPECT_EQ(tool_input_object(R"( { "b" : 1 , "a" : [ 1, 2 ] } )"), R"({"b":1,"a":[1,2]})");
}

TEST(ToolInput, EmptyOrBlankIsEmptyObject) {
    EXPECT_EQ(tool_input_object(""), "{}");
    EXPECT_EQ(tool_input_object("  \n"), "{}");
}

TEST(ToolInput, OpenStringAndBracketsAreClosed) {
    EXPECT_EQ(tool_input_object(R"({"a":"hel)"), R"({"a":"hel"})");
    EXPECT_EQ(tool_input_object(R"({"a":[1,2)"), R"({"a":[1,2]})");
    EXPECT_EQ(tool_input_object(R"({"a":{"b":[{"c":"x)"), R"({"a":{"b":[{"c":"x"}]}})");
}

TEST(ToolInput, UnfinishedMemberIsDropped) {
    EXPECT_EQ(tool_input_object(R"({"a":1,"b)"), R"({"a":1})");
    EXPECT_EQ(tool_input_object(R"({"a":1,"b":)"), R"({"a":1})");
    EXPECT_EQ(tool_input_object(R"({"a":{"x":1},"c":tr)"), R"({"a":{"x":1}})");
    EXPECT_EQ(tool_input_object(R"({"a":)"), "{}");
    EXPECT_EQ(tool_input_object(R"({"a":"x\)"), "{}");
}

TEST(ToolInput, CommasAndBracesInsideStringsDoNotConfuseTheScan) {
    EXPECT_EQ(tool_input_object(R"({"a":"x, {y}","b":"[z)"), R"({"a":"x, {y}","b":"[z"})");
}

TEST(ToolInput, NonObjectsAndGarbageBecomeEmptyObject) {
    EXPECT_EQ(tool_input_object("[1,2]"), "{}");
    EXPECT_EQ(tool_input_object("\"text\""), "{}");
    EXPECT_EQ(tool_input_object("not json"), "{}");
    EXPECT_EQ(tool_input_object("}}}"), "{}");
}

}  // namespace
}  // namespace anyclaude::anthropic
