// Encodes a neutral ir::Request as an OpenAI /v1/chat/completions request body (always streaming,
// with stream_options.include_usage). Byte-stable: the same request prefix gives the same bytes;
// tool schemas and tool_use inputs are spliced as the client's JSON text, key order kept.
#pragma once

#include <cstdint>
#include <string>

#include "ir/request.hpp"

namespace anyclaude::openai {

// How a Role::system message found after position 0 is sent.
enum class MidSystem {
    keep,     // role "system" where the client put it
    as_user,  // role "user" in the same place (for templates that reject a late system message)
};

// How thinking on/off is signalled to the backend.
enum class ThinkingControl {
    none,                 // send nothing
    template_kwargs,      // chat_template_kwargs.enable_thinking = bool  (llama-server, vLLM, MLX-LM)
    reasoning_effort,     // reasoning_effort "none" when disabled, else the effort (LM Studio, Ollama)
};

struct ChatEncodeOptions {
    std::string model;                  // backend model id ("" -> omit the field)
    MidSystem mid_system = MidSystem::keep;
    ThinkingControl thinking = ThinkingControl::none;
    int64_t max_tokens_cap = 0;         // clamp max_tokens to this when > 0
    bool send_thinking_history = true;  // assistant thinking blocks -> reasoning_content
    // A text-only model: each image becomes text saying what was there (image_placeholder).
    bool images_as_text = false;
};

// "[image: image/png, 48 KB, not shown: the model reads text only]" (a URL image names its URL).
std::string image_placeholder(const ir::ContentBlock& image);

std::string encode_chat_request(const ir::Request& req, const ChatEncodeOptions& opt);

}  // namespace anyclaude::openai
