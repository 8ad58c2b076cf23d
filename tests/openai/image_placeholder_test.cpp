// Images for a text-only model (ChatEncodeOptions::images_as_text): each image, in a user turn
// or inside a tool result, becomes a short text placeholder naming its type and size (or URL),
// and no image_url part is sent; with the option off the data URI goes as before.
#include <gtest/gtest.h>

#include "openai/chat_encoder.hpp"

namespace anyclaude::openai {
namespace {

ir::ContentBlock png(std::size_t base64_chars) {
    ir::ContentBlock b;
    b.kind = ir::BlockKind::image;
    b.media_type = "image/png";
    b.data = std::string(base64_chars, 'A');
    return b;
}

ir::Request screenshot_request() {
    ir::Request r;
    r.max_tokens = 10;
    ir::ContentBlock result;
    result.kind = ir::BlockKind::tool_result;
    result.id = "t1";
    result.content.push_back(png(65536));  // 48 KB
    r.messages.push_back({ir::Role::user, {ir::ContentBlock::make_text("look"), png(4)}});
    r.messages.push_back({ir::Role::assistant, {ir::ContentBlock::make_tool_use("t1", "Read", R"({"file_path":"s.png"})")}});
    r.messages.push_back({ir::Role::user, {result}});
    return r;
}

TEST(ImagePlaceholder, TextOnlyModelGetsPlaceholders) {
    ChatEncodeOptions opt;
    opt.images_as_text = true;
    auto body = encode_chat_request(screenshot_request(), opt);
    EXPECT_EQ(body.find("image_url"), std::string::npos) << body;
    EXPECT_NE(body.find(R"({"role":"user","content":[{"type":"text","text":"look"},{"type":"text","text":"[image: image/png, 1 KB, not shown: the model reads text only]"}]})"),
              std::string::npos)
        << body;
    EXPECT_NE(body.find(R"x({"role":"tool","tool_call_id":"t1","content":"(image attached below)"},)x"
                        R"x({"role":"user","content":"[image: image/png, 48 KB, not shown: the model reads text only]"})x"),
              std::string::npos)
        << body;
}

TEST(ImagePlaceholder, VisionModelGetsTheImage) {
    auto body = encode_chat_request(screenshot_request(), {});
    EXPECT_NE(body.find(R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}})"), std::string::npos) << body;
}

TEST(ImagePlaceholder, UrlImagesNameTheirUrl) {
    ir::ContentBlock b;
    b.kind = ir::BlockKind::image;
    b.url = "https://example.com/a.png";
    EXPECT_EQ(image_placeholder(b), "[image: https://example.com/a.png, not shown: the model reads text only]");
}

}  // namespace
}  // namespace anyclaude::openai
