// ParserSetup: what the output parser needs to read the model's output for one rendered prompt
// (llama.cpp's chat parser for the template's format, tools and output schema).
#pragma once

#include <chat.h>

#include "engine/chat_render.hpp"

namespace anyclaude::engine {

struct ParserSetup {
    common_chat_parser_params params;  // format, generation prompt, the PEG parser (loaded)
};

}  // namespace anyclaude::engine
