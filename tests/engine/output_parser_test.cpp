// OutputParser: model-like outputs in each Qwen template's format (plain text, <think> reasoning,
// Hermes JSON tool calls, Qwen3-Coder XML tool calls, JSON schema output) turned into events, fed
// whole and piece by piece; malformed output falls back to text and every block is closed.
#include <gtest/gtest.h>
#include <llama.h>

#include <map>
#include <memory>

#include "common/json.hpp"
#include "ir/thinking_signature.hpp"
#include "engine/chat_render.hpp"
#include "engine/output_parser.hpp"
#include "engine/output_parser_json_prefix.hpp"
#include "support/test_support.hpp"

namespace anyclaude::engine {
namespace {

// ---- helpers: prompts rendered with vocab-only models and real templates ----

std::string models_dir() { return ANYCLAUDE_LLAMA_MODELS_DIR; }

const ChatRenderer& renderer(const std::string& template_file) {
    static std::map<std::string, std::unique_ptr<ChatRenderer>> cache;
    static llama_model* model = nullptr;
    if (!model) {
        llama_backend_init();
        auto params = llama_model_default_params();
        params.vocab_only = true;
        model = llama_model_load_from_file((models_dir() + "/ggml-vocab-qwen2.gguf").c_str(), params);
        if (!model) throw std::runtime_error("cannot load the qwen2 vocab");
    }
    auto& r = cache[template_file];
    if (!r) r = std::make_unique<ChatRenderer>(model, test::read_file(models_dir() + "/templates/" + template_file));
    return *r;
}

const std::string qwen25 = "Qwen-Qwen2.5-7B-Instruct.jinja";  // Hermes <tool_call>{json}</tool_call>
const std::string qwen3 = "Qwen-Qwen3-0.6B.jinja";            // Hermes + <think>
const std::string qwen3_coder = "Qwen3-Coder.jinja";          // XML <function=...><parameter=...>

std::vector<ir::Tool> test_tools() {
    return {ir::Tool{"Read", "Reads a file.",
                     R"({"type":"object","properties":{"file_path":{"type":"string"},"limit":{"type":"integer"}},)"
                     R"("required":["file_path"]})"},
            ir::Tool{"Bash", "Runs a command.",
                     R"({"type":"object","properties":{"command":{"type":"string"}},"required":["command"]})"}};
}

struct PromptOptions {
    bool tools = true;
    bool thinking = false;
    std::string schema;
};

RenderedPrompt prompt_for(const std::string& template_file, const PromptOptions& opt = {}) {
    ir::Request req;
    req.system.push_back(ir::ContentBlock::make_text("You are a test assistant."));
    req.messages.push_back(ir::Message{ir::Role::user, {ir::ContentBlock::make_text("Go.")}});
    if (opt.tools) req.tools = test_tools();
    req.thinking.kind = opt.thinking ? ir::Thinking::Kind::enabled : ir::Thinking::Kind::disabled;
    req.output_schema_json = opt.schema;
    auto r = renderer(template_file).render(req);
    if (!r) throw std::runtime_error(r.error().message);
    return *r;
}

// What a client would assemble from the events.
struct Block {
    ir::BlockKind kind = ir::BlockKind::text;
    std::string id, name, text, signature;
};

bool same_content(const std::vector<Block>& a, const std::vector<Block>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].kind != b[i].kind || a[i].name != b[i].name || a[i].text != b[i].text ||
            a[i].signature != b[i].signature) {
            return false;
        }
    }
    return true;
}

// Checks the event stream's shape (indices from 0 in order, one block open at a time, deltas of the
// open block's kind, every block stopped) and assembles the blocks.
std::vector<Block> assemble(const std::vector<ir::Event>& events) {
    std::vector<Block> blocks;
    int open = -1;
    for (const auto& e : events) {
        if (const auto* s = std::get_if<ir::BlockStart>(&e)) {
            EXPECT_EQ(open, -1) << "a block started while another is open";
            EXPECT_EQ(s->index, static_cast<int>(blocks.size()));
            open = s->index;
            blocks.push_back(Block{s->kind, s->tool_id, s->tool_name, {}, {}});
        } else if (const auto* d = std::get_if<ir::BlockDelta>(&e)) {
            EXPECT_EQ(d->index, open);
            if (open < 0) continue;
            Block& b = blocks.back();
            EXPECT_FALSE(d->data.empty());
            switch (d->kind) {
                case ir::DeltaKind::text: EXPECT_EQ(b.kind, ir::BlockKind::text); b.text += d->data; break;
                case ir::DeltaKind::thinking: EXPECT_EQ(b.kind, ir::BlockKind::thinking); b.text += d->data; break;
                case ir::DeltaKind::input_json: EXPECT_EQ(b.kind, ir::BlockKind::tool_use); b.text += d->data; break;
                case ir::DeltaKind::signature: EXPECT_EQ(b.kind, ir::BlockKind::thinking); b.signature += d->data; break;
            }
        } else if (const auto* s = std::get_if<ir::BlockStop>(&e)) {
            EXPECT_EQ(s->index, open);
            open = -1;
        } else {
            ADD_FAILURE() << "unexpected event type " << e.index();
        }
    }
    EXPECT_EQ(open, -1) << "a block was left open";
    for (const auto& b : blocks) {
        if (b.kind == ir::BlockKind::tool_use) {
            auto parsed = json::parse(b.text);
            EXPECT_TRUE(parsed.ok() && parsed.value.is_object()) << "tool input is not a JSON object: " << b.text;
        }
        if (b.kind == ir::BlockKind::thinking) EXPECT_EQ(b.signature, ir::thinking_signature(b.text));
    }
    return blocks;
}

struct Outcome {
    std::vector<Block> blocks;
    bool tool_calls = false;
};

// Feeds output in pieces of `piece` bytes (0: all at once), then finishes.
Outcome parse_output(const RenderedPrompt& prompt, const std::string& output, std::size_t piece = 0) {
    OutputParser parser(prompt, test_tools());
    std::vector<ir::Event> events;
    const std::size_t step = piece == 0 ? output.size() : piece;
    for (std::size_t i = 0; i < output.size(); i += step) parser.feed(output.substr(i, step), events);
    parser.finish(events);
    return Outcome{assemble(events), parser.produced_tool_calls()};
}

// Runs whole, in 1- and 3-byte pieces; all three must give the same blocks.
Outcome parse_all_ways(const RenderedPrompt& prompt, const std::string& output) {
    Outcome whole = parse_output(prompt, output);
    for (std::size_t piece : {1u, 3u}) {
        Outcome pieces = parse_output(prompt, output, piece);
        EXPECT_TRUE(same_content(whole.blocks, pieces.blocks)) << "pieces of " << piece << " differ for: " << output;
        EXPECT_EQ(whole.tool_calls, pieces.tool_calls);
    }
    return whole;
}

std::string trim(const std::string& s) {
    std::size_t b = s.find_first_not_of(" \n"), e = s.find_last_not_of(" \n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool is_generated_tool_id(const std::string& id) {
    if (id.size() != 30 || id.rfind("toolu_", 0) != 0) return false;
    for (char c : id.substr(6)) {
        if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

// JSON text of a tool input, re-serialised canonically (to compare without caring for spaces).
std::string canonical(const std::string& json_text) {
    auto parsed = json::parse(json_text);
    return parsed.ok() ? json::to_text(parsed.value) : "<invalid: " + json_text + ">";
}

// ---- plain text ----

TEST(OutputParser, PlainText) {
    for (const auto& t : {qwen25, qwen3, qwen3_coder}) {
        SCOPED_TRACE(t);
        Outcome r = parse_all_ways(prompt_for(t), "Hello there, friend.\nSecond line.");
        ASSERT_EQ(r.blocks.size(), 1u);
        EXPECT_EQ(r.blocks[0].kind, ir::BlockKind::text);
        EXPECT_EQ(r.blocks[0].text, "Hello there, friend.\nSecond line.");
        EXPECT_FALSE(r.tool_calls);
    }
}

TEST(OutputParser, PlainTextWithoutTools) {
    Outcome r = parse_all_ways(prompt_for(qwen25, {.tools = false}), "Just <b>text</b> with <tool_call> words.");
    ASSERT_EQ(r.blocks.size(), 1u);
    EXPECT_EQ(r.blocks[0].text, "Just <b>text</b> with <tool_call> words.");
}

TEST(OutputParser, EmptyOutputHasNoBlocks) {
    Outcome r = parse_output(prompt_for(qwen25), "");
    EXPECT_TRUE(r.blocks.empty());
}

// ---- thinking ----

TEST(OutputParser, ThinkingThenText) {
    RenderedPrompt p = prompt_for(qwen3, {.thinking = true});
    ASSERT_TRUE(p.thinking);
    Outcome r = parse_all_ways(p, "<think>\nThe user wants a greeting.\n</think>\n\nHello!");
    ASSERT_EQ(r.blocks.size(), 2u);
    EXPECT_EQ(r.blocks[0].kind, ir::BlockKind::thinking);
    EXPECT_EQ(trim(r.blocks[0].text), "The user wants a greeting.");
    EXPECT_EQ(r.blocks[0].signature.rfind("anyclaude-", 0), 0u);
    EXPECT_EQ(r.blocks[0].signature.size(), 10u + 16u);
    EXPECT_EQ(r.blocks[1].kind, ir::BlockKind::text);
    EXPECT_EQ(r.blocks[1].text, "Hello!");
}

TEST(OutputParser, ThinkingCutOffIsClosedWithItsSignature) {
    Outcome r = parse_all_ways(prompt_for(qwen3, {.thinking = true}), "<think>\nStill thinking about");
    ASSERT_EQ(r.blocks.size(), 1u);
    EXPECT_EQ(r.blocks[0].kind, ir::BlockKind::thinking);
    EXPECT_EQ(trim(r.blocks[0].text), "Still thinking about");
}

TEST(OutputParser, ThinkingThenToolCall) {
    Outcome r = parse_all_ways(prompt_for(qwen3, {.thinking = true}),
                         "<think>\nI need the file.\n</think>\n\n<tool_call>\n"
                         "{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/tmp/a.txt\"}}\n</tool_call>");
    ASSERT_EQ(r.blocks.size(), 2u);
    EXPECT_EQ(r.blocks[0].kind, ir::BlockKind::thinking);
    EXPECT_EQ(r.blocks[1].kind, ir::BlockKind::tool_use);
    EXPECT_EQ(canonical(r.blocks[1].text), R"({"file_path":"/tmp/a.txt"})");
    EXPECT_TRUE(r.tool_calls);
}

TEST(OutputParser, SignatureIsAStableHashOfTheThinking) {
    EXPECT_EQ(ir::thinking_signature("abc"), ir::thinking_signature("abc"));
    EXPECT_NE(ir::thinking_signature("abc"), ir::thinking_signature("abd"));
    EXPECT_EQ(ir::thinking_signature(""), "anyclaude-cbf29ce484222325");  // FNV-1a 64 offset basis
}

// ---- tool calls ----

TEST(OutputParser, HermesToolCall) {
    Outcome r = parse_all_ways(prompt_for(qwen25), "I'll read it.\n<tool_call>\n"
                                             "{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/tmp/a.txt\", "
                                             "\"limit\": 30}}\n</tool_call>");
    ASSERT_EQ(r.blocks.size(), 2u);
    EXPECT_EQ(trim(r.blocks[0].text), "I'll read it.");
    EXPECT_EQ(r.blocks[1].kind, ir::BlockKind::tool_use);
    EXPECT_EQ(r.blocks[1].name, "Read");
    EXPECT_TRUE(is_generated_tool_id(r.blocks[1].id)) << r.blocks[1].id;
    EXPECT_EQ(canonical(r.blocks[1].text), R"({"file_path":"/tmp/a.txt","limit":30})");
    EXPECT_TRUE(r.tool_calls);
}

TEST(OutputParser, SeveralHermesToolCalls) {
    Outcome r = parse_all_ways(prompt_for(qwen25),
                         "<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/a\"}}\n</tool_call>\n"
                         "<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls -la \\\"x y\\\"\"}}\n"
                         "</tool_call>");
    ASSERT_EQ(r.blocks.size(), 2u);
    EXPECT_EQ(r.blocks[0].name, "Read");
    EXPECT_EQ(canonical(r.blocks[0].text), R"({"file_path":"/a"})");
    EXPECT_EQ(r.blocks[1].name, "Bash");
    EXPECT_EQ(canonical(r.blocks[1].text), R"({"command":"ls -la \"x y\""})");
    EXPECT_NE(r.blocks[0].id, r.blocks[1].id);
}

TEST(OutputParser, Qwen3CoderXmlToolCalls) {
    Outcome r = parse_all_ways(prompt_for(qwen3_coder), "I will look.\n<tool_call>\n<function=Read>\n<parameter=file_path>\n"
                                                  "/x/y.py\n</parameter>\n<parameter=limit>\n30\n</parameter>\n"
                                                  "</function>\n</tool_call>\n<tool_call>\n<function=Bash>\n"
                                                  "<parameter=command>\necho \"hi\"\n</parameter>\n</function>\n"
                                                  "</tool_call>");
    ASSERT_EQ(r.blocks.size(), 3u);
    EXPECT_EQ(trim(r.blocks[0].text), "I will look.");
    EXPECT_EQ(r.blocks[1].name, "Read");
    EXPECT_EQ(canonical(r.blocks[1].text), R"({"file_path":"/x/y.py","limit":30})");
    EXPECT_EQ(r.blocks[2].name, "Bash");
    EXPECT_EQ(canonical(r.blocks[2].text), R"({"command":"echo \"hi\""})");
    EXPECT_TRUE(r.tool_calls);
}

TEST(OutputParser, ArgumentsStreamAsTheyGrow) {
    OutputParser parser(prompt_for(qwen25), test_tools());
    std::vector<ir::Event> events;
    const std::string output =
        "<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"echo one two three four\"}}\n</tool_call>";
    std::size_t json_deltas = 0;
    for (char c : output) parser.feed(std::string(1, c), events);
    for (const auto& e : events) {
        const auto* d = std::get_if<ir::BlockDelta>(&e);
        if (d && d->kind == ir::DeltaKind::input_json) ++json_deltas;
    }
    EXPECT_GT(json_deltas, 5u);  // sent while generating, before finish()
    parser.finish(events);
    EXPECT_TRUE(parser.produced_tool_calls());
    EXPECT_EQ(canonical(assemble(events)[0].text), R"({"command":"echo one two three four"})");
}

// ---- malformed output ----

TEST(OutputParser, UnknownToolFallsBackToText) {
    const std::string output = "<tool_call>\n{\"name\": \"Nope\", \"arguments\": {}}\n</tool_call>";
    Outcome r = parse_all_ways(prompt_for(qwen25), output);
    ASSERT_EQ(r.blocks.size(), 1u);
    EXPECT_EQ(r.blocks[0].kind, ir::BlockKind::text);
    EXPECT_EQ(r.blocks[0].text, output);
    EXPECT_FALSE(r.tool_calls);
}

TEST(OutputParser, ArgumentsThatAreNotJsonFallBackToText) {
    const std::string output = "Let me see. <tool_call>\n{\"name\": \"Read\", \"arguments\": oops}\n</tool_call>";
    Outcome r = parse_all_ways(prompt_for(qwen25), output);
    std::string all_text;
    for (const auto& b : r.blocks) {
        EXPECT_EQ(b.kind, ir::BlockKind::text);
        all_text += b.text;
    }
    EXPECT_NE(all_text.find("Let me see."), std::string::npos);
    EXPECT_NE(all_text.find("oops"), std::string::npos);
    EXPECT_FALSE(r.tool_calls);
}

// Streamed, the call is sent as soon as its arguments begin; when they break, what was sent is
// closed and the rest is text. Fed whole, nothing was sent yet: it is all text.
TEST(OutputParser, ArgumentsBrokenMidwayAreClosedAndTheRestIsText) {
    const std::string output =
        "Ok <tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/a\", \"limit\": oops}}\n</tool_call>";
    Outcome streamed = parse_output(prompt_for(qwen25), output, 1);
    ASSERT_EQ(streamed.blocks.size(), 3u);
    EXPECT_EQ(streamed.blocks[0].text, "Ok ");
    EXPECT_EQ(streamed.blocks[1].kind, ir::BlockKind::tool_use);
    EXPECT_EQ(canonical(streamed.blocks[1].text), R"({"file_path":"/a"})");  // what was sent, closed
    EXPECT_EQ(streamed.blocks[2].kind, ir::BlockKind::text);
    EXPECT_NE(streamed.blocks[2].text.find("oops"), std::string::npos);  // nothing lost
    EXPECT_TRUE(streamed.tool_calls);

    Outcome whole = parse_output(prompt_for(qwen25), output);
    ASSERT_EQ(whole.blocks.size(), 1u);
    EXPECT_EQ(whole.blocks[0].text, output);
    EXPECT_FALSE(whole.tool_calls);
}

TEST(OutputParser, TextAfterAToolCallIsKept) {
    Outcome r = parse_all_ways(prompt_for(qwen25),
                         "<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/a\"}}\n</tool_call>\n"
                         "and then some text");
    ASSERT_EQ(r.blocks.size(), 2u);
    EXPECT_EQ(canonical(r.blocks[0].text), R"({"file_path":"/a"})");
    EXPECT_EQ(r.blocks[1].text, "and then some text");
}

TEST(OutputParser, CutOffToolCallStillHasValidArguments) {
    for (const std::string& output : {std::string("<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/tm"),
                                      std::string("<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_pa"),
                                      std::string("<tool_call>\n{\"name\": \"Read\", \"arguments\": ")}) {
        SCOPED_TRACE(output);
        Outcome r = parse_all_ways(prompt_for(qwen25), output);  // assemble() checks the JSON
        for (const auto& b : r.blocks) {
            if (b.kind == ir::BlockKind::tool_use) EXPECT_EQ(b.name, "Read");
        }
    }
    Outcome r = parse_output(prompt_for(qwen25), "<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/tm");
    ASSERT_EQ(r.blocks.size(), 1u);
    EXPECT_EQ(canonical(r.blocks[0].text), R"({"file_path":"/tm"})");
}

TEST(OutputParser, MultiByteTextAndArgumentsFedByteByByte) {
    Outcome r = parse_all_ways(prompt_for(qwen25), "Voilà, ça marche ✓\n<tool_call>\n"
                                                   "{\"name\": \"Bash\", \"arguments\": {\"command\": \"echo 日本\"}}\n"
                                                   "</tool_call>");
    ASSERT_EQ(r.blocks.size(), 2u);
    EXPECT_EQ(trim(r.blocks[0].text), "Voilà, ça marche ✓");
    EXPECT_EQ(canonical(r.blocks[1].text), R"({"command":"echo 日本"})");
}

// A request ending with an assistant message (prefill): the model continues it, and the
// prefilled text is not output again.
TEST(OutputParser, PrefillIsNotRepeated) {
    ir::Request req;
    req.messages.push_back(ir::Message{ir::Role::user, {ir::ContentBlock::make_text("What is 6 x 7?")}});
    req.messages.push_back(ir::Message{ir::Role::assistant, {ir::ContentBlock::make_text("The answer is")}});
    for (const auto& t : {qwen25, qwen3_coder}) {
        SCOPED_TRACE(t);
        auto p = renderer(t).render(req);
        ASSERT_TRUE(p.ok()) << p.error().message;
        EXPECT_TRUE(p->text.ends_with("The answer is")) << p->text;
        Outcome r = parse_all_ways(*p, " 42.");
        ASSERT_EQ(r.blocks.size(), 1u);
        EXPECT_EQ(r.blocks[0].text, " 42.");
    }
}

// ---- output schema ----

TEST(OutputParser, JsonSchemaOutputIsText) {
    const std::string schema =
        R"({"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false})";
    for (const auto& t : {qwen25, qwen3_coder}) {
        SCOPED_TRACE(t);
        RenderedPrompt p = prompt_for(t, {.tools = false, .schema = schema});
        ASSERT_FALSE(p.grammar.empty());
        Outcome r = parse_all_ways(p, R"({"title": "Fix the parser"})");
        ASSERT_EQ(r.blocks.size(), 1u);
        EXPECT_EQ(r.blocks[0].kind, ir::BlockKind::text);
        EXPECT_EQ(canonical(r.blocks[0].text), R"({"title":"Fix the parser"})");
    }
}

// ---- the JSON prefix follower ----

TEST(JsonObjectPrefix, SafePrefixesCloseIntoValidJson) {
    const std::string text = R"({"a": "x\"y", "b": [1, -2.5e3, true, null], "c": {"d": false}})";
    for (std::size_t n = 0; n <= text.size(); ++n) {
        JsonObjectPrefix p;
        p.append(text.substr(0, n));
        ASSERT_TRUE(p.viable()) << n;
        const std::string closed = text.substr(0, p.safe_length()) + p.closing();
        EXPECT_TRUE(json::parse(closed).ok()) << n << ": " << closed;
    }
    JsonObjectPrefix whole;
    whole.append(text);
    EXPECT_TRUE(whole.complete());
    EXPECT_EQ(whole.safe_length(), text.size());
    EXPECT_EQ(whole.closing(), "");
}

TEST(JsonObjectPrefix, UnsafePlacesAreHeldBack) {
    auto safe = [](const std::string& s) {
        JsonObjectPrefix p;
        p.append(s);
        return s.substr(0, p.safe_length()) + "|" + p.closing();
    };
    EXPECT_EQ(safe(""), "|{}");
    EXPECT_EQ(safe(R"({"ke)"), "{|}");
    EXPECT_EQ(safe(R"({"key": "va)"), R"({"key": "va|"})");
    EXPECT_EQ(safe(R"({"key": tr)"), "{|}");
    EXPECT_EQ(safe(R"({"key": 12.)"), R"({"key": 12|})");
    EXPECT_EQ(safe(R"({"key": 12)"), R"({"key": 12|})");
    EXPECT_EQ(safe(R"({"key": "a\)"), R"({"key": "a|"})");
    EXPECT_EQ(safe("{\"key\": \"\xC3"), "{\"key\": \"|\"}");  // half a UTF-8 character
}

TEST(JsonObjectPrefix, NonObjectsAndGarbageAreNotViable) {
    for (const std::string& s : {std::string("[1]"), std::string("\"x\""), std::string(R"({"a": oops})"),
                                 std::string(R"({"a": 1} extra)"), std::string("{\"a\": \"\n\"}")}) {
        JsonObjectPrefix p;
        p.append(s);
        EXPECT_FALSE(p.complete()) << s;
    }
    JsonObjectPrefix garbage;
    garbage.append(R"({"a": 1, oops)");
    EXPECT_FALSE(garbage.viable());
    EXPECT_EQ(std::string(R"({"a": 1, oops)").substr(0, garbage.safe_length()) + garbage.closing(), R"({"a": 1})");
}

}  // namespace
}  // namespace anyclaude::engine
