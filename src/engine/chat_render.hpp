// Chat rendering for the embedded engine: ir::Request -> the model's own chat template
// (llama.cpp's common chat API, tools included) -> prompt text and tokens, plus the token
// positions the prompt cache cares about (cache_control breakpoints, message ends, the
// tools+system prefix) and the generation constraints (grammar for output_config json_schema
// and tool calls). Renders follow DESIGN.md's prompt-stability rules: the same conversation
// prefix renders to the same token prefix.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/tokens.hpp"
#include "ir/request.hpp"
#include "ir/result.hpp"

struct llama_model;

namespace anyclaude::engine {

struct GrammarTrigger {
    enum class Kind { word, pattern, pattern_full, token };
    Kind kind = Kind::word;
    std::string value;
    Token token = -1;
};

// What the output parser needs to understand the model's output for this prompt (opaque).
struct ParserSetup;

struct RenderedPrompt {
    std::string text;
    Tokens tokens;
    std::vector<std::size_t> breakpoints;   // token counts ending each cache_control block, ascending
    std::vector<std::size_t> message_ends;  // token counts ending each message, ascending
    std::size_t stable_prefix = 0;          // tokens covering tools + system (before the first user turn)
    // Generation constraints.
    std::string grammar;  // GBNF, "" for none
    bool grammar_lazy = false;
    std::vector<GrammarTrigger> grammar_triggers;
    std::vector<std::string> preserved_tokens;
    std::vector<std::string> additional_stops;
    bool thinking = false;  // the prompt leaves the model in (or lets it start) a thinking section
    std::shared_ptr<const ParserSetup> parser;
};

class ChatRenderer {
public:
    // template_override: a Jinja chat template to use instead of the model's own ("" = model's).
    explicit ChatRenderer(const llama_model* model, const std::string& template_override = "");
    ~ChatRenderer();

    ir::Result<RenderedPrompt> render(const ir::Request& req) const;
    // Whether this template accepts a system message after the first message (probed once).
    bool accepts_late_system() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace anyclaude::engine
