// The one FNV-1a (src/common/fnv1a.hpp) against the published 64-bit test vectors, and the
// thinking signature built on it: a fixed value, so the upstream and embedded modes (both call
// ir::thinking_signature; tests/openai and tests/engine check that they do) sign alike.
#include <gtest/gtest.h>

#include "common/fnv1a.hpp"
#include "ir/thinking_signature.hpp"

using namespace anyclaude;

TEST(Fnv1a, MatchesThePublishedVectors) {
    EXPECT_EQ(fnv1a::hash(""), 0xcbf29ce484222325ull);
    EXPECT_EQ(fnv1a::hash("a"), 0xaf63dc4c8601ec8cull);
    EXPECT_EQ(fnv1a::hash("foobar"), 0x85944171f73967e8ull);
    EXPECT_EQ(fnv1a::mix(fnv1a::hash("foo"), "bar"), fnv1a::hash("foobar"));
}

TEST(ThinkingSignature, IsTheFnv1aOfTheTextInHex) {
    EXPECT_EQ(ir::thinking_signature("a"), "anyclaude-af63dc4c8601ec8c");
    EXPECT_EQ(ir::thinking_signature(""), "anyclaude-cbf29ce484222325");
    EXPECT_NE(ir::thinking_signature("some thoughts"), ir::thinking_signature("other thoughts"));
}
