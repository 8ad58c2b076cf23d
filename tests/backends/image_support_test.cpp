// Whether an upstream model takes images: the servers' metadata (recorded answer shapes) and the
// table of their refusals of image input; a refusal of anything else is not taken for one.
#include <gtest/gtest.h>

#include "backends/image_support.hpp"

namespace anyclaude::backends {
namespace {

TEST(ImageSupport, MetadataSaysWhetherTheModelSees) {
    // llama-server /props (a build with the modalities field; vision only with --mmproj).
    auto v = vision_from_answer("GET /props", R"({"default_generation_settings":{"n_ctx":4096},"modalities":{"vision":false,"audio":false}})", "m");
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->vision);
    EXPECT_EQ(v->source, "llama-server /props modalities.vision");
    EXPECT_TRUE(vision_from_answer("GET /props", R"({"modalities":{"vision":true}})", "m")->vision);
    EXPECT_FALSE(vision_from_answer("GET /props", R"({"default_generation_settings":{"n_ctx":4096}})", "m")) << "older builds say nothing";
    // LM Studio /api/v0/models: type vlm | llm, per model.
    const char* lms = R"({"object":"list","data":[{"id":"qwen2.5-vl-7b","type":"vlm","state":"loaded"},{"id":"qwen3-coder","type":"llm","state":"loaded"}]})";
    EXPECT_TRUE(vision_from_answer("GET /api/v0/models", lms, "qwen2.5-vl-7b")->vision);
    EXPECT_FALSE(vision_from_answer("GET /api/v0/models", lms, "qwen3-coder")->vision);
    EXPECT_FALSE(vision_from_answer("GET /api/v0/models", lms, "other"));
    // Ollama /api/show capabilities.
    EXPECT_TRUE(vision_from_answer("POST /api/show", R"({"capabilities":["completion","vision"]})", "m")->vision);
    EXPECT_FALSE(vision_from_answer("POST /api/show", R"({"capabilities":["completion","tools"]})", "m")->vision);
    EXPECT_FALSE(vision_from_answer("GET /v1/models", R"({"data":[]})", "m")) << "no reader for it";
}

TEST(ImageSupport, EachServersRefusalIsRecognised) {
    for (const char* m : {
             "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj",  // llama-server
             "Only 'text' content type is supported.",                                                           // MLX-LM
             "this model does not support images",                                                               // Ollama
             "this model is missing data required for image input",                                              // Ollama (old)
             "qwen3-coder is not a multimodal model",                                                            // vLLM
             "Invalid content type. image_url is only supported by certain models.",                             // OpenAI
             "Model does not support images. Please use a model that does.",                                     // LM Studio
         })
        EXPECT_TRUE(is_image_rejection(m)) << m;
    for (const char* m : {"the request exceeds the available context size, try increasing it",
                          "System message must be at the beginning.", "model 'x' not found"})
        EXPECT_FALSE(is_image_rejection(m)) << m;
}

TEST(ImageSupport, ImagesAreFoundInToolResultsToo) {
    ir::Request r;
    r.messages.push_back({ir::Role::user, {ir::ContentBlock::make_text("hi")}});
    EXPECT_FALSE(has_images(r));
    ir::ContentBlock img;
    img.kind = ir::BlockKind::image;
    ir::ContentBlock result;
    result.kind = ir::BlockKind::tool_result;
    result.content.push_back(img);
    r.messages.push_back({ir::Role::user, {result}});
    EXPECT_TRUE(has_images(r));
}

}  // namespace
}  // namespace anyclaude::backends
