// Whether an upstream model takes images, and what to do when it does not.
// Two ways to know (remembered per model by the upstream backend):
// - the server's model metadata, read from answers the window probe already fetched
//   (llama-server GET /props modalities.vision; LM Studio GET /api/v0/models type "vlm";
//   Ollama POST /api/show capabilities containing "vision"): vision_from_answer;
// - the first rejection of a request with images, in each server's words (a table):
//   is_image_rejection.
// A text-only model gets each image replaced by a short text placeholder (openai/chat_messages),
// so one screenshot cannot make every later request of a session fail.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ir/request.hpp"

namespace anyclaude::backends {

struct VisionInfo {
    bool vision = false;
    std::string source;  // e.g. "llama-server /props modalities.vision"
};

// What the answer of `endpoint` ("GET /props", "GET /api/v0/models", "POST /api/show") says
// about `model`; nullopt when it says nothing.
std::optional<VisionInfo> vision_from_answer(std::string_view endpoint, std::string_view body, const std::string& model);

// True when an upstream error text is a server refusing image input (not any other error).
bool is_image_rejection(std::string_view message);

// True when any message (or tool result) of req carries an image.
bool has_images(const ir::Request& req);

}  // namespace anyclaude::backends
