// Chat rendering with llama.cpp's common chat API (see chat_render.hpp).
#include "engine/chat_render.hpp"

#include <llama.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "common/json.hpp"
#include "engine/chat_render_locate.hpp"
#include "engine/chat_render_messages.hpp"
#include "engine/chat_render_parser_setup.hpp"
#include "engine/chat_render_tokens.hpp"

namespace anyclaude::engine {

namespace {

common_chat_msg simple_msg(const char* role, const char* content) {
    common_chat_msg m;
    m.role = role;
    m.content = content;
    return m;
}

// Renders a tiny conversation with a system message after the first turn: the template takes
// one there when it neither throws nor drops it.
bool probe_late_system(const common_chat_templates* templates) {
    const char* marker = "anyclaude-late-system-probe";
    common_chat_templates_inputs in;
    in.messages = {simple_msg("system", "You are a probe."), simple_msg("user", "Hello."),
                   simple_msg("assistant", "Hi."), simple_msg("system", marker), simple_msg("user", "Bye.")};
    try {
        return common_chat_templates_apply(templates, in).prompt.find(marker) != std::string::npos;
    } catch (const std::exception& e) {
        spdlog::debug("chat_render: template rejects a late system message: {}", e.what());
        return false;
    }
}

bool probe_thinking(const common_chat_templates* templates) {
    try {
        return common_chat_templates_support_enable_thinking(templates);
    } catch (const std::exception&) {
        return false;
    }
}

std::size_t first_conversation_turn(const ir::Request& req) {
    for (std::size_t i = 0; i < req.messages.size(); ++i) {
        if (req.messages[i].role != ir::Role::system) return i;
    }
    return req.messages.size();
}

GrammarTrigger to_trigger(const common_grammar_trigger& t) {
    GrammarTrigger out;
    out.value = t.value;
    out.token = t.token;
    switch (t.type) {
        case COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN: out.kind = GrammarTrigger::Kind::token; break;
        case COMMON_GRAMMAR_TRIGGER_TYPE_WORD: out.kind = GrammarTrigger::Kind::word; break;
        case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN: out.kind = GrammarTrigger::Kind::pattern; break;
        case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL: out.kind = GrammarTrigger::Kind::pattern_full; break;
    }
    return out;
}

void copy_generation_constraints(const common_chat_params& params, RenderedPrompt& out) {
    out.grammar = params.grammar;
    out.grammar_lazy = params.grammar_lazy;
    for (const auto& t : params.grammar_triggers) out.grammar_triggers.push_back(to_trigger(t));
    out.preserved_tokens = params.preserved_tokens;
    out.additional_stops = params.additional_stops;
}

std::shared_ptr<const ParserSetup> make_parser_setup(const common_chat_params& params, bool parse_tools,
                                                     bool continuation) {
    auto setup = std::make_shared<ParserSetup>();
    setup->params = common_chat_parser_params(params);
    if (!params.parser.empty()) setup->params.parser.load(params.parser);
    setup->params.reasoning_format = COMMON_REASONING_FORMAT_DEEPSEEK;  // reasoning -> reasoning_content
    setup->params.parse_tool_calls = parse_tools;
    setup->params.is_continuation = continuation;
    return setup;
}

// Token counts of the positions the prompt cache cares about.
void fill_positions(const ChatMessages& msgs, const ChatTools& tools, const PromptLayout& layout,
                    const TokenOffsets& offsets, RenderedPrompt& out) {
    auto count = [&](std::size_t offset) { return offsets.tokens_before(offset); };
    for (std::size_t i = 0; i < layout.system.size(); ++i) {
        if (msgs.system[i].breakpoint) out.breakpoints.push_back(count(layout.system[i].end));
    }
    std::size_t previous_end = layout.system.empty() ? 0 : layout.system.back().end;
    for (std::size_t i = 0; i < layout.turns.size(); ++i) {
        const auto& spans = layout.turns[i];
        for (std::size_t b = 0; b < spans.size(); ++b) {
            if (msgs.turns[i][b].breakpoint) out.breakpoints.push_back(count(spans[b].end));
        }
        if (!spans.empty()) previous_end = spans.back().end;
        out.message_ends.push_back(count(previous_end));
    }
    if (tools.breakpoint && layout.tools_end > 0) out.breakpoints.push_back(count(layout.tools_end));
    std::sort(out.breakpoints.begin(), out.breakpoints.end());
    out.breakpoints.erase(std::unique(out.breakpoints.begin(), out.breakpoints.end()), out.breakpoints.end());
    out.stable_prefix = count(layout.conversation_begin);
}

ir::Result<std::string> checked_output_schema(const ir::Request& req) {
    if (req.output_schema_json.empty()) return std::string();
    auto parsed = json::parse(req.output_schema_json);
    if (!parsed.ok() || !parsed.value.is_object()) {
        return ir::ApiError::invalid_request("output_config.format.schema: must be a JSON object schema");
    }
    return req.output_schema_json;
}

}  // namespace

struct ChatRenderer::Impl {
    const llama_model* model = nullptr;
    common_chat_templates_ptr templates;
    bool late_system = false;
    bool thinking_supported = false;
    std::unique_ptr<PromptTokenizer> tokenizer;  // reuses a recent prompt's tokens

    ir::Result<RenderedPrompt> render(const ir::Request& req) const;

private:
    ir::Result<common_chat_templates_inputs> make_inputs(const ir::Request& req, const ChatMessages& msgs,
                                                         const ChatTools& tools) const;
};

ir::Result<common_chat_templates_inputs> ChatRenderer::Impl::make_inputs(const ir::Request& req,
                                                                         const ChatMessages& msgs,
                                                                         const ChatTools& tools) const {
    auto schema = checked_output_schema(req);
    if (!schema) return schema.error();
    common_chat_templates_inputs in;
    in.messages = msgs.messages;
    in.tools = tools.tools;
    in.tool_choice = tools.choice;
    in.parallel_tool_calls = tools.parallel;
    in.json_schema = std::move(*schema);
    in.reasoning_format = COMMON_REASONING_FORMAT_DEEPSEEK;
    in.enable_thinking = thinking_supported && req.thinking.wanted();
    // A trailing assistant message is a prefill: the model continues it.
    if (msgs.ends_with_assistant && msgs.messages.back().tool_calls.empty()) {
        in.add_generation_prompt = false;
        in.continue_final_message = COMMON_CHAT_CONTINUATION_AUTO;
    }
    return in;
}

ir::Result<RenderedPrompt> ChatRenderer::Impl::render(const ir::Request& req) const {
    auto tools = build_chat_tools(req);
    if (!tools) return tools.error();
    auto msgs = build_chat_messages(req, late_system);
    if (!msgs) return msgs.error();
    auto inputs = make_inputs(req, *msgs, *tools);
    if (!inputs) return inputs.error();

    RenderedPrompt out;
    common_chat_params params;
    try {
        params = common_chat_templates_apply(templates.get(), *inputs);
        out.parser = make_parser_setup(params, !tools->tools.empty() && tools->choice != COMMON_CHAT_TOOL_CHOICE_NONE,
                                       inputs->continue_final_message != COMMON_CHAT_CONTINUATION_NONE);
    } catch (const std::exception& e) {
        return ir::ApiError::invalid_request(std::string("the model's chat template cannot render this request: ") +
                                             e.what());
    }
    out.text = std::move(params.prompt);
    PromptTokenizer::Result tokenized;
    try {
        tokenized = tokenizer->tokenize(out.text);
    } catch (const std::exception& e) {
        return ir::ApiError::api(e.what());
    }
    out.tokens = std::move(tokenized.tokens);
    TokenOffsets offsets(std::move(tokenized.ends));
    if (offsets.text_bytes() != out.text.size()) {
        spdlog::debug("chat_render: token pieces cover {} bytes of a {}-byte prompt; positions are approximate",
                      offsets.text_bytes(), out.text.size());
    }
    fill_positions(*msgs, *tools, locate_blocks(out.text, *msgs, *tools, first_conversation_turn(req)), offsets, out);
    copy_generation_constraints(params, out);
    out.thinking = params.supports_thinking && inputs->enable_thinking;
    return out;
}

ChatRenderer::ChatRenderer(const llama_model* model, const std::string& template_override)
    : impl_(std::make_unique<Impl>()) {
    impl_->model = model;
    impl_->tokenizer = std::make_unique<PromptTokenizer>(llama_model_get_vocab(model));
    try {
        impl_->templates = common_chat_templates_init(model, template_override);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("the chat template could not be loaded: ") + e.what());
    }
    impl_->late_system = probe_late_system(impl_->templates.get());
    impl_->thinking_supported = probe_thinking(impl_->templates.get());
    spdlog::debug("chat_render: template takes a late system message: {}; thinking: {}", impl_->late_system,
                  impl_->thinking_supported);
}

ChatRenderer::~ChatRenderer() = default;

ir::Result<RenderedPrompt> ChatRenderer::render(const ir::Request& req) const { return impl_->render(req); }

bool ChatRenderer::accepts_late_system() const { return impl_->late_system; }

}  // namespace anyclaude::engine
