// ChatRenderer: Claude Code requests rendered with real Qwen chat templates (vocab-only GGUF files
// from llama.cpp's models/ folder, no weights): prefix stability across turns, system messages in
// place, cache positions, tools, thinking, output schema and errors.
#include <gtest/gtest.h>
#include <llama.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "anthropic/request_decoder.hpp"
#include "engine/chat_render.hpp"
#include "engine/chat_render_parser_setup.hpp"
#include "ir/prompt_stability.hpp"
#include "support/test_support.hpp"

namespace anyclaude::engine {
namespace {

// ---- helpers: vocab-only models, templates, requests ----

std::string models_dir() { return ANYCLAUDE_LLAMA_MODELS_DIR; }

// Vocab-only models and renderers, loaded once per test binary and freed at exit (renderers
// first: they use the models).
struct Loaded {
    struct FreeModel {
        void operator()(llama_model* m) const { llama_model_free(m); }
    };
    std::map<std::string, std::unique_ptr<llama_model, FreeModel>> models;
    std::map<std::string, std::unique_ptr<ChatRenderer>> renderers;
    ~Loaded() { renderers.clear(); }
};
Loaded& loaded() {
    static Loaded l;
    return l;
}

const llama_model* vocab_model(const std::string& vocab) {
    auto& m = loaded().models[vocab];
    if (!m) {
        llama_backend_init();
        auto params = llama_model_default_params();
        params.vocab_only = true;
        m.reset(llama_model_load_from_file((models_dir() + "/ggml-vocab-" + vocab + ".gguf").c_str(), params));
    }
    return m.get();
}

struct TemplateCase {
    const char* name;   // file in models/templates
    const char* vocab;  // ggml-vocab-<vocab>.gguf
};
const TemplateCase qwen25{"Qwen-Qwen2.5-7B-Instruct.jinja", "qwen2"};
const TemplateCase qwen3{"Qwen-Qwen3-0.6B.jinja", "qwen2"};
const TemplateCase qwen3_coder{"Qwen3-Coder.jinja", "qwen2"};
const TemplateCase qwen35{"Qwen3.5-4B.jinja", "qwen35"};  // rejects late system messages

const ChatRenderer& renderer(const TemplateCase& t) {
    auto& r = loaded().renderers[t.name];
    if (!r) {
        const llama_model* model = vocab_model(t.vocab);
        if (!model) throw std::runtime_error("cannot load vocab " + std::string(t.vocab));
        r = std::make_unique<ChatRenderer>(model, test::read_file(models_dir() + "/templates/" + t.name));
    }
    return *r;
}

ir::Request fixture_request(const std::string& name) {
    auto req = anthropic::decode_messages_request(test::fixture(name));
    if (!req) throw std::runtime_error(name + ": " + req.error().message);
    ir::strip_billing_header(*req);
    return *req;
}

RenderedPrompt render_ok(const TemplateCase& t, const ir::Request& req) {
    auto r = renderer(t).render(req);
    if (!r) throw std::runtime_error(std::string(t.name) + ": " + r.error().message);
    return *r;
}

// Text of the first n tokens (BOS-free vocabs here).
std::string token_text(const TemplateCase& t, const Tokens& tokens, std::size_t n) {
    const llama_vocab* vocab = llama_model_get_vocab(vocab_model(t.vocab));
    std::string out;
    char buf[512];
    for (std::size_t i = 0; i < n && i < tokens.size(); ++i) {
        int len = llama_token_to_piece(vocab, tokens[i], buf, sizeof buf, 0, true);
        out.append(buf, static_cast<std::size_t>(len > 0 ? len : 0));
    }
    return out;
}

// Tokens of the generation prompt the renderer appended (the start of the assistant turn).
std::size_t generation_prompt_tokens(const TemplateCase& t, const RenderedPrompt& p) {
    const std::string& gen = p.parser->params.generation_prompt;
    const llama_vocab* vocab = llama_model_get_vocab(vocab_model(t.vocab));
    std::vector<llama_token> tokens(gen.size() + 2);
    int n = llama_tokenize(vocab, gen.data(), static_cast<int>(gen.size()), tokens.data(),
                           static_cast<int>(tokens.size()), false, true);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

ir::Message text_message(ir::Role role, std::string text) {
    return ir::Message{role, {ir::ContentBlock::make_text(std::move(text))}};
}

ir::Tool read_tool() {
    return ir::Tool{"Read", "Reads a file from disk.",
                    R"({"type":"object","properties":{"file_path":{"type":"string","description":"Absolute path"},)"
                    R"("limit":{"type":"integer"}},"required":["file_path"]})"};
}

ir::ContentBlock tool_use(std::string id, std::string name, std::string input) {
    return ir::ContentBlock::make_tool_use(std::move(id), std::move(name), std::move(input));
}

ir::ContentBlock tool_result(std::string id, std::string text, bool is_error = false) {
    ir::ContentBlock b;
    b.kind = ir::BlockKind::tool_result;
    b.id = std::move(id);
    b.is_error = is_error;
    b.content.push_back(ir::ContentBlock::make_text(std::move(text)));
    return b;
}

ir::Request simple_request() {
    ir::Request req;
    req.system.push_back(ir::ContentBlock::make_text("You are a test assistant."));
    req.messages.push_back(text_message(ir::Role::user, "Say hi."));
    req.tools.push_back(read_tool());
    return req;
}

const std::vector<TemplateCase> chat_templates = {qwen25, qwen3, qwen3_coder, qwen35};

// ---- prefix stability on Claude Code's own requests ----

TEST(ChatRender, FixturesShareTheirPrefix) {
    const ir::Request first = fixture_request("capture-first.json");
    const ir::Request followup = fixture_request("capture-followup.json");
    const ir::Request toolresult = fixture_request("capture-toolresult-followup.json");
    for (const auto& t : chat_templates) {
        SCOPED_TRACE(t.name);
        RenderedPrompt a = render_ok(t, first), b = render_ok(t, followup), c = render_ok(t, toolresult);
        const std::size_t ab = common_prefix(a.tokens, b.tokens), ac = common_prefix(a.tokens, c.tokens),
                          bc = common_prefix(b.tokens, c.tokens);
        std::cout << "[stable-prefix] " << t.name << ": first " << a.tokens.size() << " tokens (stable_prefix "
                  << a.stable_prefix << ", first user message ends at " << a.message_ends[0] << "), followup "
                  << b.tokens.size() << ", toolresult " << c.tokens.size() << "; shared first/followup " << ab
                  << ", first/toolresult " << ac << ", followup/toolresult " << bc << "\n";
        // The captures' environment blocks (messages[1]) hold different filler text, so the
        // follow-up shares everything up to the end of the first user message.
        EXPECT_GE(ab, a.message_ends[0]);
        EXPECT_GT(a.message_ends[0], a.stable_prefix);
        // The tool-result capture typed another first prompt: tools + system are still shared.
        EXPECT_GT(a.stable_prefix, 5000u);
        EXPECT_EQ(a.stable_prefix, b.stable_prefix);
        EXPECT_EQ(a.stable_prefix, c.stable_prefix);
        EXPECT_GE(ac, a.stable_prefix);
        EXPECT_GE(bc, b.stable_prefix);
    }
}

// capture-first + the follow-up's assistant reply and user turn: the whole first prompt but its
// generation prompt is reused.
TEST(ChatRender, FixtureConversationGrowsByAppending) {
    const ir::Request first = fixture_request("capture-first.json");
    const ir::Request followup = fixture_request("capture-followup.json");
    ir::Request grown = first;
    grown.messages.push_back(followup.messages[followup.messages.size() - 2]);
    grown.messages.push_back(followup.messages.back());
    for (const auto& t : chat_templates) {
        SCOPED_TRACE(t.name);
        RenderedPrompt a = render_ok(t, first), b = render_ok(t, grown);
        const std::size_t shared = common_prefix(a.tokens, b.tokens);
        std::cout << "[grown] " << t.name << ": first " << a.tokens.size() << " tokens, grown " << b.tokens.size()
                  << ", shared " << shared << "\n";
        EXPECT_GE(shared, a.tokens.size() - generation_prompt_tokens(t, a));
        EXPECT_GE(shared, a.message_ends.back());
        EXPECT_EQ(b.message_ends[1], a.message_ends[1]);
    }
}

TEST(ChatRender, StablePrefixCoversToolsAndSystem) {
    const ir::Request req = fixture_request("capture-first.json");
    for (const auto& t : chat_templates) {
        SCOPED_TRACE(t.name);
        RenderedPrompt p = render_ok(t, req);
        const std::string prefix = token_text(t, p.tokens, p.stable_prefix);
        ASSERT_EQ(p.text.compare(0, prefix.size(), prefix), 0);
        for (const auto& tool : req.tools) {
            if (tool.defer_loading) {
                EXPECT_EQ(p.text.find("\"" + tool.name + "\""), std::string::npos) << tool.name;
                EXPECT_EQ(p.text.find(">" + tool.name + "<"), std::string::npos) << tool.name;
            } else {
                EXPECT_NE(prefix.find(tool.name), std::string::npos) << tool.name;
            }
        }
        EXPECT_NE(prefix.find(req.system.back().text), std::string::npos);
        EXPECT_EQ(prefix.find(req.messages[0].content[0].text), std::string::npos);
        EXPECT_EQ(p.text.find("x-anthropic-billing-header"), std::string::npos);
    }
}

// Not Qwen3.5: its template prints an empty <think></think> in assistant turns after the last
// user message and drops it once a new user message arrives, so a tool loop re-renders when the
// user types again (a property of that template, not of the renderer).
TEST(ChatRender, AddingATurnKeepsThePreviousPrompt) {
    for (const auto& t : {qwen25, qwen3, qwen3_coder}) {
        for (auto thinking : {ir::Thinking::Kind::disabled, ir::Thinking::Kind::adaptive}) {
            SCOPED_TRACE(std::string(t.name) + (thinking == ir::Thinking::Kind::adaptive ? " thinking" : ""));
            ir::Request req = simple_request();
            req.thinking.kind = thinking;
            std::vector<ir::Message> turns = {
                ir::Message{ir::Role::assistant,
                            {tool_use("toolu_01", "Read", R"({"file_path":"/tmp/a.txt","limit":20})")}},
                ir::Message{ir::Role::user, {tool_result("toolu_01", "alpha\nbeta")}},
                text_message(ir::Role::assistant, "The file says alpha and beta."),
                text_message(ir::Role::user, "Thanks. Now summarise."),
            };
            RenderedPrompt previous = render_ok(t, req);
            for (const auto& turn : turns) {
                req.messages.push_back(turn);
                if (turn.role == ir::Role::assistant) continue;  // the next request adds reply + user turn
                RenderedPrompt next = render_ok(t, req);
                const std::size_t kept = previous.tokens.size() - generation_prompt_tokens(t, previous);
                EXPECT_GE(common_prefix(previous.tokens, next.tokens), kept) << next.text;
                previous = next;
            }
        }
    }
}

// ---- system messages ----

TEST(ChatRender, LateSystemMessageStaysInPlace) {
    ir::Request req = simple_request();
    req.messages.push_back(text_message(ir::Role::system, "LATE-SYSTEM-NOTE"));
    req.messages.push_back(text_message(ir::Role::assistant, "Hi."));
    req.messages.push_back(text_message(ir::Role::user, "Again."));
    for (const auto& t : {qwen25, qwen3, qwen3_coder, qwen35}) {
        SCOPED_TRACE(t.name);
        RenderedPrompt p = render_ok(t, req);
        const bool as_system = renderer(t).accepts_late_system();
        EXPECT_EQ(as_system, t.name != qwen35.name);
        const std::string role = as_system ? "system" : "user";
        std::size_t note = p.text.find("<|im_start|>" + role + "\nLATE-SYSTEM-NOTE");
        ASSERT_NE(note, std::string::npos) << p.text;
        EXPECT_LT(p.text.find("Say hi."), note);
        EXPECT_GT(p.text.find("Hi."), note);
        EXPECT_LT(p.text.find("You are a test assistant."), p.text.find("Say hi."));  // not hoisted
        EXPECT_EQ(p.text.find("LATE-SYSTEM-NOTE"), p.text.rfind("LATE-SYSTEM-NOTE"));
    }
}

TEST(ChatRender, ClaudeCodeEnvironmentBlockStaysAfterFirstUserMessage) {
    const ir::Request req = fixture_request("capture-followup.json");
    ASSERT_EQ(req.messages[1].role, ir::Role::system);
    const std::string env = req.messages[1].content[0].text.substr(0, 80);
    for (const auto& t : {qwen25, qwen35}) {
        SCOPED_TRACE(t.name);
        RenderedPrompt p = render_ok(t, req);
        const std::size_t at = p.text.find(env);
        ASSERT_NE(at, std::string::npos);
        EXPECT_LT(p.text.find(req.messages[0].content[0].text), at);
        EXPECT_GT(p.text.find(req.messages[2].content[0].text), at);
        EXPECT_LE(p.message_ends[0], p.message_ends[1]);
    }
}

TEST(ChatRender, SystemBlocksJoinedIntoOneSystemMessage) {
    ir::Request req = simple_request();
    req.system.push_back(ir::ContentBlock::make_text("Second block."));
    RenderedPrompt p = render_ok(qwen25, req);
    EXPECT_NE(p.text.find("<|im_start|>system\nYou are a test assistant.\n\nSecond block."), std::string::npos);
}

// ---- cache positions ----

TEST(ChatRender, BreakpointsEndAtTheirBlocks) {
    const ir::Request req = fixture_request("capture-followup.json");
    for (const auto& t : chat_templates) {
        SCOPED_TRACE(t.name);
        RenderedPrompt p = render_ok(t, req);
        std::vector<std::string> marked;
        for (const auto& b : req.system) {
            if (b.cache_breakpoint) marked.push_back(b.text);
        }
        for (const auto& m : req.messages) {
            for (const auto& b : m.content) {
                if (b.cache_breakpoint) marked.push_back(b.text);
            }
        }
        ASSERT_EQ(p.breakpoints.size(), marked.size());
        std::size_t search_from = 0;
        for (std::size_t i = 0; i < marked.size(); ++i) {
            const std::size_t end = p.text.find(marked[i], search_from) + marked[i].size();
            search_from = end;
            const std::size_t covered = token_text(t, p.tokens, p.breakpoints[i]).size();
            EXPECT_LE(covered, end);           // never past the block
            EXPECT_LT(end - covered, 32u);     // only the last partial token left out
            if (i > 0) EXPECT_LT(p.breakpoints[i - 1], p.breakpoints[i]);
        }
        ASSERT_EQ(p.message_ends.size(), req.messages.size());
        for (std::size_t i = 1; i < p.message_ends.size(); ++i) EXPECT_LE(p.message_ends[i - 1], p.message_ends[i]);
        EXPECT_LE(p.message_ends.back(), p.tokens.size());
        EXPECT_LE(p.stable_prefix, p.message_ends[0]);
    }
}

TEST(ChatRender, ToolBreakpointEndsTheToolsSection) {
    ir::Request req = simple_request();
    req.tools.back().cache_breakpoint = true;
    RenderedPrompt p = render_ok(qwen25, req);
    ASSERT_EQ(p.breakpoints.size(), 1u);
    EXPECT_EQ(p.breakpoints[0], p.stable_prefix);
    const std::string covered = token_text(qwen25, p.tokens, p.breakpoints[0]);
    EXPECT_NE(covered.find("</tools>"), std::string::npos);
    EXPECT_EQ(covered.find("Say hi."), std::string::npos);
}

TEST(ChatRender, TokensSpellTheRenderedText) {
    const ir::Request req = fixture_request("capture-toolresult-followup.json");
    const RenderedPrompt p = render_ok(qwen3_coder, req);
    EXPECT_EQ(token_text(qwen3_coder, p.tokens, p.tokens.size()), p.text);
}

// The gateway renders on a thread pool: renders of one renderer may run at the same time.
TEST(ChatRender, ConcurrentRendersAgree) {
    const ir::Request req = fixture_request("capture-followup.json");
    const Tokens expected = render_ok(qwen3, req).tokens;
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            for (int k = 0; k < 3; ++k) {
                auto r = renderer(qwen3).render(req);
                if (!r || r->tokens != expected) ++mismatches;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0);
}

// ---- content ----

TEST(ChatRender, ToolUseAndResultsRenderedInOrder) {
    ir::Request req = simple_request();
    req.messages.push_back(ir::Message{ir::Role::assistant,
                                       {ir::ContentBlock::make_text("Reading it."),
                                        tool_use("toolu_01", "Read", R"({"file_path":"/tmp/a.txt","limit":20})"),
                                        tool_use("toolu_02", "Read", R"({"file_path":"/tmp/b.txt"})")}});
    req.messages.push_back(ir::Message{
        ir::Role::user, {tool_result("toolu_01", "alpha"), tool_result("toolu_02", "no such file", true),
                         ir::ContentBlock::make_text("Go on.")}});
    for (const auto& t : chat_templates) {
        SCOPED_TRACE(t.name);
        RenderedPrompt p = render_ok(t, req);
        const std::size_t a = p.text.find("/tmp/a.txt"), b = p.text.find("/tmp/b.txt"), r1 = p.text.find("alpha"),
                          r2 = p.text.find("Error: no such file"), go = p.text.find("Go on.");
        ASSERT_NE(r2, std::string::npos) << p.text;
        EXPECT_LT(p.text.find("Reading it."), a);
        EXPECT_LT(a, b);
        EXPECT_LT(b, r1);
        EXPECT_LT(r1, r2);
        EXPECT_LT(r2, go);
        EXPECT_NE(p.text.find("<tool_response>"), std::string::npos);
        EXPECT_EQ(p.message_ends.size(), req.messages.size());
    }
}

TEST(ChatRender, ToolArgumentsKeepTheClientsKeyOrder) {
    ir::Request req = simple_request();
    req.messages.push_back(ir::Message{ir::Role::assistant,
                                       {tool_use("toolu_01", "Read", R"({"limit":20,"file_path":"/tmp/a.txt"})")}});
    req.messages.push_back(ir::Message{ir::Role::user, {tool_result("toolu_01", "alpha")}});
    RenderedPrompt p = render_ok(qwen25, req);
    EXPECT_NE(p.text.find(R"({"limit": 20, "file_path": "/tmp/a.txt"})"), std::string::npos) << p.text;
}

TEST(ChatRender, ImagesBecomePlaceholders) {
    ir::Request req = simple_request();
    ir::ContentBlock image;
    image.kind = ir::BlockKind::image;
    image.media_type = "image/png";
    image.data = "iVBORw0KGgo=";
    req.messages[0].content.insert(req.messages[0].content.begin(), image);
    RenderedPrompt p = render_ok(qwen3, req);
    EXPECT_NE(p.text.find("[image]\n\nSay hi."), std::string::npos) << p.text;
    EXPECT_EQ(p.text.find("iVBORw0KGgo"), std::string::npos);
}

TEST(ChatRender, ThinkingFollowsTheRequestWhereTheTemplateSupportsIt) {
    ir::Request req = simple_request();
    req.thinking.kind = ir::Thinking::Kind::adaptive;
    EXPECT_TRUE(render_ok(qwen3, req).thinking);
    EXPECT_FALSE(render_ok(qwen25, req).thinking);
    req.thinking.kind = ir::Thinking::Kind::disabled;
    RenderedPrompt off = render_ok(qwen3, req);
    EXPECT_FALSE(off.thinking);
    EXPECT_TRUE(off.text.ends_with("<think>\n\n</think>\n\n")) << off.text;
}

TEST(ChatRender, PreviousThinkingIsRenderedAsReasoning) {
    ir::Request req = simple_request();
    req.thinking.kind = ir::Thinking::Kind::enabled;
    ir::ContentBlock thought;
    thought.kind = ir::BlockKind::thinking;
    thought.text = "I should read the file.";
    req.messages.push_back(ir::Message{ir::Role::assistant, {thought, tool_use("toolu_01", "Read", R"({"file_path":"/a"})")}});
    req.messages.push_back(ir::Message{ir::Role::user, {tool_result("toolu_01", "alpha")}});
    RenderedPrompt p = render_ok(qwen3, req);
    EXPECT_NE(p.text.find("<think>\nI should read the file.\n</think>"), std::string::npos) << p.text;
}

// ---- tools, choice, schema ----

TEST(ChatRender, ToolChoice) {
    ir::Request req = simple_request();
    req.tools.push_back(ir::Tool{"Bash", "Runs a command.", R"({"type":"object","properties":{"command":{"type":"string"}}})"});
    RenderedPrompt auto_choice = render_ok(qwen25, req);
    EXPECT_FALSE(auto_choice.grammar.empty());
    EXPECT_TRUE(auto_choice.grammar_lazy);
    EXPECT_FALSE(auto_choice.grammar_triggers.empty());

    req.tool_choice = ir::ToolChoice{ir::ToolChoice::Kind::any, ""};
    RenderedPrompt any = render_ok(qwen25, req);
    EXPECT_FALSE(any.grammar.empty());
    EXPECT_FALSE(any.grammar_lazy);

    req.tool_choice = ir::ToolChoice{ir::ToolChoice::Kind::none, ""};
    RenderedPrompt none = render_ok(qwen25, req);
    EXPECT_TRUE(none.grammar.empty());
    EXPECT_NE(none.text.find("\"Bash\""), std::string::npos);  // still described: the prefix stays the same

    req.tool_choice = ir::ToolChoice{ir::ToolChoice::Kind::tool, "Bash"};
    RenderedPrompt named = render_ok(qwen25, req);
    EXPECT_FALSE(named.grammar_lazy);
    EXPECT_NE(named.text.find("\"Bash\""), std::string::npos);
    EXPECT_EQ(named.text.find("\"Read\""), std::string::npos);
}

TEST(ChatRender, OutputSchemaGivesAGrammar) {
    const ir::Request side = fixture_request("capture-side-1.json");
    ASSERT_FALSE(side.output_schema_json.empty());
    for (const auto& t : chat_templates) {
        SCOPED_TRACE(t.name);
        RenderedPrompt p = render_ok(t, side);
        EXPECT_FALSE(p.grammar.empty());
        EXPECT_FALSE(p.grammar_lazy);
    }
}

// ---- errors ----

TEST(ChatRender, InvalidToolSchemaIsAnInvalidRequest) {
    ir::Request req = simple_request();
    req.tools[0].input_schema_json = "{not json";
    auto r = renderer(qwen25).render(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, "invalid_request_error");
    EXPECT_NE(r.error().message.find("Read"), std::string::npos) << r.error().message;
}

TEST(ChatRender, UnknownNamedToolIsAnInvalidRequest) {
    ir::Request req = simple_request();
    req.tool_choice = ir::ToolChoice{ir::ToolChoice::Kind::tool, "Missing"};
    auto r = renderer(qwen25).render(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, "invalid_request_error");
}

TEST(ChatRender, TemplateExceptionIsAnInvalidRequest) {
    ir::Request req;
    req.system.push_back(ir::ContentBlock::make_text("Only a system prompt."));
    auto r = renderer(qwen35).render(req);  // "No user query found in messages."
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, "invalid_request_error");
    EXPECT_NE(r.error().message.find("chat template"), std::string::npos) << r.error().message;
}

TEST(ChatRender, InvalidToolInputIsAnInvalidRequest) {
    ir::Request req = simple_request();
    req.messages.push_back(ir::Message{ir::Role::assistant, {tool_use("toolu_01", "Read", "{oops")}});
    req.messages.push_back(ir::Message{ir::Role::user, {tool_result("toolu_01", "alpha")}});
    auto r = renderer(qwen25).render(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, "invalid_request_error");
}

}  // namespace
}  // namespace anyclaude::engine
