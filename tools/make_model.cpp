// anyclaude-make-model: writes a GGUF model that llama.cpp loads like a real Qwen model (real
// qwen2/qwen3 architecture, the real Qwen tokenizer with its added special tokens at their real
// ids, a real tool-capable chat template) but with random weights, so that tests and benchmarks
// run without downloading any weights. Same options and seed -> byte-identical file.
//
// See tools/README.md for the command line; `anyclaude-make-model --help` prints it too.

#include "ggml.h"
#include "gguf.h"

#include "common/fnv1a.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef ANYCLAUDE_LLAMA_MODELS_DIR
#error "ANYCLAUDE_LLAMA_MODELS_DIR must name the pinned llama.cpp's models/ folder"
#endif

namespace {

// ---------------------------------------------------------------------------------------------
// Options

struct Shape {
    int layers = 0;
    int embd = 0;
    int ff = 0;
    int heads = 0;
    int kv_heads = 0;
    int head_dim = 0;  // 0: embd / heads
    int ctx = 0;
};

struct Options {
    std::string out;
    std::string arch = "qwen2";
    std::string shape_name = "tiny";
    Shape shape;
    std::string template_name;  // empty: the arch's default
    std::string type = "f16";
    uint64_t seed = 1;
    // Standard deviations of the random values: token_embd (also the tied output), the layers'
    // matrices, the qwen2 q/k/v biases. The defaults (0.02, like a trained model's init) give a
    // model whose residual stream is the input token's embedding: its greedy answer to any chat
    // prompt is "\n" repeated. Layers at 0.3 make the next token depend on the context
    // (--layer-std; tests/engine/fidelity_test.cpp measures how much).
    float embd_std = 0.02f;
    float layer_std = 0.02f;
    float bias_std = 0.02f;
    std::string vocab_path = std::string(ANYCLAUDE_LLAMA_MODELS_DIR) + "/ggml-vocab-qwen2.gguf";
    std::string templates_dir = std::string(ANYCLAUDE_LLAMA_MODELS_DIR) + "/templates";
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr const char* kUsage =
    "usage: anyclaude-make-model --out PATH [--arch qwen2|qwen3] [--shape tiny|bench|0.5b]\n"
    "         [--layers N --embd N --ff N --heads N --kv-heads N --head-dim N --ctx N]\n"
    "         [--template qwen2.5|qwen3|qwen3-coder] [--type f32|f16|q8_0] [--seed N]\n"
    "         [--embd-std X] [--layer-std X] [--bias-std X] [--vocab PATH] [--templates-dir PATH]\n"
    "Writes a GGUF model with a real Qwen architecture, tokenizer and chat template and random\n"
    "weights (deterministic from --seed). Shapes: tiny (2 layers, embd 64), bench (4 layers,\n"
    "embd 256), 0.5b (Qwen2.5-0.5B: 24 layers, embd 896). --head-dim is for qwen3 only.\n"
    "Defaults: --arch qwen2 --shape tiny --type f16 --seed 1; template qwen2.5 for qwen2, qwen3\n"
    "for qwen3; standard deviations 0.02 (token embedding, layer matrices, qwen2 biases).\n";

std::optional<Shape> preset_shape(std::string_view name) {
    // layers, embd, ff, heads, kv heads, head dim, ctx
    if (name == "tiny") return Shape{2, 64, 128, 4, 2, 0, 32768};
    if (name == "bench") return Shape{4, 256, 512, 4, 2, 0, 32768};
    if (name == "0.5b") return Shape{24, 896, 4864, 14, 2, 0, 32768};
    return std::nullopt;
}

template <typename Int>
Int parse_number(std::string_view flag, std::string_view text) {
    Int value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        throw UsageError(std::string(flag) + ": not a number: " + std::string(text));
    }
    return value;
}

int parse_positive(std::string_view flag, std::string_view text) {
    const int value = parse_number<int>(flag, text);
    if (value <= 0) throw UsageError(std::string(flag) + " must be positive");
    return value;
}

float parse_std(std::string_view flag, const std::string& text) {
    char* end = nullptr;
    const float value = std::strtof(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0.0f || value > 10.0f) {
        throw UsageError(std::string(flag) + " must be a number from 0 to 10: " + text);
    }
    return value;
}

void check_one_of(std::string_view flag, const std::string& value,
                  std::initializer_list<std::string_view> allowed) {
    for (auto a : allowed) {
        if (value == a) return;
    }
    throw UsageError(std::string(flag) + ": unknown value " + value);
}

// Checks the shape llama.cpp's loaders and graphs need, and works out the head dim.
void complete_shape(Options& opt) {
    Shape& s = opt.shape;
    if (s.head_dim != 0 && opt.arch != "qwen3") {
        throw UsageError("--head-dim is for qwen3 only (qwen2's head dim is embd / heads)");
    }
    if (s.head_dim == 0) {
        if (s.embd % s.heads != 0) throw UsageError("embd must be a multiple of heads");
        s.head_dim = s.embd / s.heads;
    }
    if (s.heads % s.kv_heads != 0) throw UsageError("heads must be a multiple of kv-heads");
    if (s.head_dim % 2 != 0) throw UsageError("the head dim must be even (rope)");
}

// Sizes given one by one override the preset shape, whatever their order on the command line.
Options parse_args(int argc, char** argv) {
    Options opt;
    std::map<std::string, int> size_overrides;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        if (i + 1 >= argc) throw UsageError(flag + " needs a value (or is unknown)");
        const std::string value = argv[++i];
        if (flag == "--out") opt.out = value;
        else if (flag == "--arch") opt.arch = value;
        else if (flag == "--shape") opt.shape_name = value;
        else if (flag == "--template") opt.template_name = value;
        else if (flag == "--type") opt.type = value;
        else if (flag == "--seed") opt.seed = parse_number<uint64_t>(flag, value);
        else if (flag == "--embd-std") opt.embd_std = parse_std(flag, value);
        else if (flag == "--layer-std") opt.layer_std = parse_std(flag, value);
        else if (flag == "--bias-std") opt.bias_std = parse_std(flag, value);
        else if (flag == "--vocab") opt.vocab_path = value;
        else if (flag == "--templates-dir") opt.templates_dir = value;
        else if (flag == "--layers" || flag == "--embd" || flag == "--ff" || flag == "--heads" ||
                 flag == "--kv-heads" || flag == "--head-dim" || flag == "--ctx")
            size_overrides[flag] = parse_positive(flag, value);
        else throw UsageError("unknown option " + flag);
    }
    if (opt.out.empty()) throw UsageError("--out PATH is required");
    check_one_of("--arch", opt.arch, {"qwen2", "qwen3"});
    check_one_of("--type", opt.type, {"f32", "f16", "q8_0"});
    if (opt.template_name.empty()) opt.template_name = opt.arch == "qwen3" ? "qwen3" : "qwen2.5";
    check_one_of("--template", opt.template_name, {"qwen2.5", "qwen3", "qwen3-coder"});

    const auto preset = preset_shape(opt.shape_name);
    if (!preset) throw UsageError("--shape: unknown value " + opt.shape_name);
    opt.shape = *preset;
    for (const auto& [flag, value] : size_overrides) {
        if (flag == "--layers") opt.shape.layers = value;
        else if (flag == "--embd") opt.shape.embd = value;
        else if (flag == "--ff") opt.shape.ff = value;
        else if (flag == "--heads") opt.shape.heads = value;
        else if (flag == "--kv-heads") opt.shape.kv_heads = value;
        else if (flag == "--head-dim") opt.shape.head_dim = value;
        else if (flag == "--ctx") opt.shape.ctx = value;
    }
    if (!size_overrides.empty()) opt.shape_name = "custom";
    complete_shape(opt);
    return opt;
}

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers: splitmix64, seeded per tensor from (seed, tensor name), so a
// tensor's values depend on nothing else (not the order of writing, not the chunk size).

struct Random {
    uint64_t state;

    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Sum of four 16-bit uniforms (Irwin-Hall): bell-shaped, mean 0, standard deviation 1,
    // within +-2*sqrt(3).
    float normalish() {
        const uint64_t bits = next();
        float sum = 0.0f;
        for (int i = 0; i < 4; ++i) sum += float((bits >> (16 * i)) & 0xFFFF) / 65536.0f;
        return (sum - 2.0f) * 1.7320508f;
    }
};

// ---------------------------------------------------------------------------------------------
// The tensors of one model: names and shapes as llama.cpp's qwen2/qwen3 loaders expect them.

enum class Fill { Random, Ones };

struct TensorPlan {
    std::string name;
    int64_t row_len;  // ggml ne[0]
    int64_t rows;     // ggml ne[1]; 1 for vectors
    Fill fill;
    ggml_type type;
    float std = 0.0f;  // of the random values (Fill::Random)
};

ggml_type weight_type(const std::string& type, int64_t row_len) {
    if (type == "f32") return GGML_TYPE_F32;
    if (type == "f16") return GGML_TYPE_F16;
    // q8_0 works on blocks of 32 values along a row; other rows stay f16.
    return row_len % ggml_blck_size(GGML_TYPE_Q8_0) == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F16;
}

std::vector<TensorPlan> plan_tensors(const Options& opt, int64_t n_vocab) {
    const Shape& s = opt.shape;
    const int64_t q_dim = int64_t(s.head_dim) * s.heads;
    const int64_t kv_dim = int64_t(s.head_dim) * s.kv_heads;
    std::vector<TensorPlan> plan;
    auto matrix = [&](std::string name, int64_t row_len, int64_t rows, float std = -1.0f) {
        plan.push_back({std::move(name), row_len, rows, Fill::Random, weight_type(opt.type, row_len),
                        std < 0.0f ? opt.layer_std : std});
    };
    auto vector = [&](std::string name, int64_t len, Fill fill) {
        plan.push_back({std::move(name), len, 1, fill, GGML_TYPE_F32, opt.bias_std});
    };

    // The output projection is tied to token_embd (llama.cpp falls back to it), as in Qwen2.5-0.5B.
    matrix("token_embd.weight", s.embd, n_vocab, opt.embd_std);
    vector("output_norm.weight", s.embd, Fill::Ones);
    for (int i = 0; i < s.layers; ++i) {
        const std::string blk = "blk." + std::to_string(i) + ".";
        vector(blk + "attn_norm.weight", s.embd, Fill::Ones);
        matrix(blk + "attn_q.weight", s.embd, q_dim);
        matrix(blk + "attn_k.weight", s.embd, kv_dim);
        matrix(blk + "attn_v.weight", s.embd, kv_dim);
        if (opt.arch == "qwen2") {
            vector(blk + "attn_q.bias", q_dim, Fill::Random);
            vector(blk + "attn_k.bias", kv_dim, Fill::Random);
            vector(blk + "attn_v.bias", kv_dim, Fill::Random);
        } else {
            vector(blk + "attn_q_norm.weight", s.head_dim, Fill::Ones);
            vector(blk + "attn_k_norm.weight", s.head_dim, Fill::Ones);
        }
        matrix(blk + "attn_output.weight", q_dim, s.embd);
        vector(blk + "ffn_norm.weight", s.embd, Fill::Ones);
        matrix(blk + "ffn_gate.weight", s.embd, s.ff);
        matrix(blk + "ffn_up.weight", s.embd, s.ff);
        matrix(blk + "ffn_down.weight", s.ff, s.embd);
    }
    return plan;
}

// ---------------------------------------------------------------------------------------------
// The vocabulary: the vocab file's tokens, plus Qwen2.5/Qwen3's added tokens at their real ids.

struct SpecialToken {
    int id;
    const char* text;
};

constexpr SpecialToken kQwenAddedTokens[] = {
    {151643, "<|endoftext|>"},    {151644, "<|im_start|>"},    {151645, "<|im_end|>"},
    {151646, "<|object_ref_start|>"}, {151647, "<|object_ref_end|>"}, {151648, "<|box_start|>"},
    {151649, "<|box_end|>"},      {151650, "<|quad_start|>"},  {151651, "<|quad_end|>"},
    {151652, "<|vision_start|>"}, {151653, "<|vision_end|>"},  {151654, "<|vision_pad|>"},
    {151655, "<|image_pad|>"},    {151656, "<|video_pad|>"},   {151657, "<tool_call>"},
    {151658, "</tool_call>"},     {151659, "<|fim_prefix|>"},  {151660, "<|fim_middle|>"},
    {151661, "<|fim_suffix|>"},   {151662, "<|fim_pad|>"},     {151663, "<|repo_name|>"},
    {151664, "<|file_sep|>"},     {151665, "<tool_response>"}, {151666, "</tool_response>"},
    {151667, "<think>"},          {151668, "</think>"},
};

constexpr int kQwenVocabSize = 151936;  // rows of Qwen2.5's and Qwen3's embedding matrices
constexpr int kEndOfText = 151643;
constexpr int kImEnd = 151645;

// llama.cpp's token types (llama_token_type): what the GGUF converter gives added tokens.
constexpr int32_t kTokenNormal = 1;
constexpr int32_t kTokenControl = 3;
constexpr int32_t kTokenUserDefined = 4;

struct Vocab {
    std::vector<std::string> tokens;
    std::vector<int32_t> types;
};

std::string pad_token(int id) { return "[PAD" + std::to_string(id) + "]"; }

// Like HF->GGUF conversion: <|...|> tokens are control tokens; <tool_call>, <think>, ... are not
// special in Qwen's tokenizer config and become user-defined tokens.
int32_t added_token_type(std::string_view text) {
    const bool looks_special = text.starts_with("<|") && text.ends_with("|>");
    return looks_special ? kTokenControl : kTokenUserDefined;
}

Vocab read_vocab(const gguf_context* src) {
    const int64_t tokens_id = gguf_find_key(src, "tokenizer.ggml.tokens");
    const int64_t types_id = gguf_find_key(src, "tokenizer.ggml.token_type");
    if (tokens_id < 0 || gguf_get_arr_type(src, tokens_id) != GGUF_TYPE_STRING) {
        throw std::runtime_error("vocab file has no tokenizer.ggml.tokens");
    }
    Vocab vocab;
    const size_t n = gguf_get_arr_n(src, tokens_id);
    for (size_t i = 0; i < n; ++i) vocab.tokens.emplace_back(gguf_get_arr_str(src, tokens_id, i));
    if (types_id >= 0 && gguf_get_arr_type(src, types_id) == GGUF_TYPE_INT32 &&
        gguf_get_arr_n(src, types_id) == n) {
        const auto* types = static_cast<const int32_t*>(gguf_get_arr_data(src, types_id));
        vocab.types.assign(types, types + n);
    } else {
        vocab.types.assign(n, kTokenNormal);
    }
    return vocab;
}

void add_qwen_special_tokens(Vocab& vocab) {
    for (int id = int(vocab.tokens.size()); id < kQwenVocabSize; ++id) {
        vocab.tokens.push_back(pad_token(id));
        vocab.types.push_back(kTokenUserDefined);
    }
    for (const auto& special : kQwenAddedTokens) {
        std::string& slot = vocab.tokens[special.id];
        if (slot != special.text && slot != pad_token(special.id)) {
            throw std::runtime_error("vocab file has '" + slot + "' at id " + std::to_string(special.id) +
                                     " where Qwen has '" + special.text + "'");
        }
        slot = special.text;
        vocab.types[special.id] = added_token_type(special.text);
    }
}

// ---------------------------------------------------------------------------------------------
// GGUF metadata

size_t gguf_scalar_size(gguf_type type) {
    switch (type) {
        case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
        case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
        case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
        case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
        default: return 0;
    }
}

// Copies one KV pair of any type (arrays of arrays excepted) from src to dst.
void copy_kv(gguf_context* dst, const gguf_context* src, int64_t id) {
    const char* key = gguf_get_key(src, id);
    const gguf_type type = gguf_get_kv_type(src, id);
    if (type == GGUF_TYPE_STRING) {
        gguf_set_val_str(dst, key, gguf_get_val_str(src, id));
    } else if (type == GGUF_TYPE_ARRAY) {
        const gguf_type item = gguf_get_arr_type(src, id);
        const size_t n = gguf_get_arr_n(src, id);
        if (item == GGUF_TYPE_STRING) {
            std::vector<const char*> items(n);
            for (size_t i = 0; i < n; ++i) items[i] = gguf_get_arr_str(src, id, i);
            gguf_set_arr_str(dst, key, items.data(), n);
        } else if (gguf_scalar_size(item) != 0) {
            gguf_set_arr_data(dst, key, item, gguf_get_arr_data(src, id), n);
        } else {
            throw std::runtime_error(std::string("cannot copy nested array ") + key);
        }
    } else if (gguf_scalar_size(type) != 0) {
        // Scalars: gguf_get_val_data gives their bytes; set through a one-type switch.
        const void* data = gguf_get_val_data(src, id);
        switch (type) {
            case GGUF_TYPE_UINT8: gguf_set_val_u8(dst, key, *static_cast<const uint8_t*>(data)); break;
            case GGUF_TYPE_INT8: gguf_set_val_i8(dst, key, *static_cast<const int8_t*>(data)); break;
            case GGUF_TYPE_UINT16: gguf_set_val_u16(dst, key, *static_cast<const uint16_t*>(data)); break;
            case GGUF_TYPE_INT16: gguf_set_val_i16(dst, key, *static_cast<const int16_t*>(data)); break;
            case GGUF_TYPE_UINT32: gguf_set_val_u32(dst, key, *static_cast<const uint32_t*>(data)); break;
            case GGUF_TYPE_INT32: gguf_set_val_i32(dst, key, *static_cast<const int32_t*>(data)); break;
            case GGUF_TYPE_FLOAT32: gguf_set_val_f32(dst, key, *static_cast<const float*>(data)); break;
            case GGUF_TYPE_UINT64: gguf_set_val_u64(dst, key, *static_cast<const uint64_t*>(data)); break;
            case GGUF_TYPE_INT64: gguf_set_val_i64(dst, key, *static_cast<const int64_t*>(data)); break;
            case GGUF_TYPE_FLOAT64: gguf_set_val_f64(dst, key, *static_cast<const double*>(data)); break;
            case GGUF_TYPE_BOOL: gguf_set_val_bool(dst, key, *static_cast<const int8_t*>(data) != 0); break;
            default: break;
        }
    } else {
        throw std::runtime_error(std::string("cannot copy key ") + key);
    }
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string template_file_name(const std::string& name) {
    if (name == "qwen2.5") return "Qwen-Qwen2.5-7B-Instruct.jinja";
    if (name == "qwen3") return "Qwen-Qwen3-0.6B.jinja";
    return "Qwen3-Coder.jinja";  // qwen3-coder
}

// llama_ftype values for general.file_type.
uint32_t file_type(const std::string& type) {
    if (type == "f32") return 0;  // LLAMA_FTYPE_ALL_F32
    if (type == "f16") return 1;  // LLAMA_FTYPE_MOSTLY_F16
    return 7;                     // LLAMA_FTYPE_MOSTLY_Q8_0
}

void set_general_kv(gguf_context* ctx, const Options& opt) {
    gguf_set_val_str(ctx, "general.architecture", opt.arch.c_str());
    gguf_set_val_str(ctx, "general.type", "model");
    const std::string name = "anyclaude-random-" + opt.arch + "-" + opt.shape_name;
    gguf_set_val_str(ctx, "general.name", name.c_str());
    std::string scales;  // only when not the defaults, so default files stay byte-identical
    if (opt.embd_std != 0.02f || opt.layer_std != 0.02f || opt.bias_std != 0.02f) {
        char buf[96];
        std::snprintf(buf, sizeof buf, ", std embd %g layers %g biases %g", opt.embd_std, opt.layer_std, opt.bias_std);
        scales = buf;
    }
    const std::string description = "random weights (seed " + std::to_string(opt.seed) + scales +
                                    "), written by anyclaude-make-model for tests and benchmarks";
    gguf_set_val_str(ctx, "general.description", description.c_str());
    gguf_set_val_u32(ctx, "general.file_type", file_type(opt.type));
    if (opt.type == "q8_0") gguf_set_val_u32(ctx, "general.quantization_version", GGML_QNT_VERSION);
}

void set_arch_kv(gguf_context* ctx, const Options& opt) {
    const Shape& s = opt.shape;
    auto key = [&](const char* suffix) { return opt.arch + "." + suffix; };
    gguf_set_val_u32(ctx, key("context_length").c_str(), uint32_t(s.ctx));
    gguf_set_val_u32(ctx, key("embedding_length").c_str(), uint32_t(s.embd));
    gguf_set_val_u32(ctx, key("block_count").c_str(), uint32_t(s.layers));
    gguf_set_val_u32(ctx, key("feed_forward_length").c_str(), uint32_t(s.ff));
    gguf_set_val_u32(ctx, key("attention.head_count").c_str(), uint32_t(s.heads));
    gguf_set_val_u32(ctx, key("attention.head_count_kv").c_str(), uint32_t(s.kv_heads));
    if (opt.arch == "qwen3") {
        gguf_set_val_u32(ctx, key("attention.key_length").c_str(), uint32_t(s.head_dim));
        gguf_set_val_u32(ctx, key("attention.value_length").c_str(), uint32_t(s.head_dim));
    }
    gguf_set_val_f32(ctx, key("rope.freq_base").c_str(), 1000000.0f);
    gguf_set_val_f32(ctx, key("attention.layer_norm_rms_epsilon").c_str(), 1e-6f);
}

// Tokenizer: every tokenizer.* key of the vocab file, then tokens, types, special ids and the
// chat template set the way Qwen2.5-Instruct/Qwen3 GGUF files have them.
void set_tokenizer_kv(gguf_context* ctx, const gguf_context* vocab_file, const Vocab& vocab,
                      const std::string& chat_template) {
    const std::string_view replaced[] = {
        "tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.bos_token_id", "tokenizer.ggml.padding_token_id",
        "tokenizer.ggml.add_bos_token", "tokenizer.chat_template"};
    for (int64_t id = 0; id < gguf_get_n_kv(vocab_file); ++id) {
        const std::string_view key = gguf_get_key(vocab_file, id);
        if (!key.starts_with("tokenizer.")) continue;
        if (std::find(std::begin(replaced), std::end(replaced), key) != std::end(replaced)) continue;
        copy_kv(ctx, vocab_file, id);
    }
    std::vector<const char*> tokens;
    tokens.reserve(vocab.tokens.size());
    for (const auto& token : vocab.tokens) tokens.push_back(token.c_str());
    gguf_set_arr_str(ctx, "tokenizer.ggml.tokens", tokens.data(), tokens.size());
    gguf_set_arr_data(ctx, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, vocab.types.data(), vocab.types.size());
    gguf_set_val_u32(ctx, "tokenizer.ggml.eos_token_id", kImEnd);
    gguf_set_val_u32(ctx, "tokenizer.ggml.bos_token_id", kEndOfText);
    gguf_set_val_u32(ctx, "tokenizer.ggml.padding_token_id", kEndOfText);
    gguf_set_val_bool(ctx, "tokenizer.ggml.add_bos_token", false);
    gguf_set_val_str(ctx, "tokenizer.chat_template", chat_template.c_str());
}

// Tensor infos go to the GGUF context through ggml tensors that hold no data (no_alloc).
struct GgmlContext {
    ggml_context* ctx;
    explicit GgmlContext(size_t n_tensors) {
        ggml_init_params params{ggml_tensor_overhead() * (n_tensors + 1), nullptr, true};
        ctx = ggml_init(params);
        if (!ctx) throw std::runtime_error("ggml_init failed");
    }
    GgmlContext(const GgmlContext&) = delete;
    GgmlContext& operator=(const GgmlContext&) = delete;
    ~GgmlContext() { ggml_free(ctx); }
};

void add_tensor_infos(gguf_context* gguf, ggml_context* ctx, const std::vector<TensorPlan>& plan) {
    for (const auto& t : plan) {
        ggml_tensor* tensor = t.rows == 1 ? ggml_new_tensor_1d(ctx, t.type, t.row_len)
                                          : ggml_new_tensor_2d(ctx, t.type, t.row_len, t.rows);
        ggml_set_name(tensor, t.name.c_str());
        gguf_add_tensor(gguf, tensor);
    }
}

// ---------------------------------------------------------------------------------------------
// Tensor data: generated and converted a chunk of rows at a time, written straight to the file.

void fill_values(const TensorPlan& t, Random& random, std::vector<float>& values) {
    for (float& v : values) v = t.fill == Fill::Ones ? 1.0f : random.normalish() * t.std;
}

void convert_rows(ggml_type type, const std::vector<float>& values, int64_t rows, int64_t row_len,
                  std::vector<uint8_t>& bytes) {
    bytes.resize(ggml_row_size(type, row_len) * rows);
    if (type == GGML_TYPE_F32) {
        std::memcpy(bytes.data(), values.data(), bytes.size());
    } else if (type == GGML_TYPE_F16) {
        ggml_fp32_to_fp16_row(values.data(), reinterpret_cast<ggml_fp16_t*>(bytes.data()), rows * row_len);
    } else {
        ggml_quantize_chunk(type, values.data(), bytes.data(), 0, rows, row_len, nullptr);
    }
}

void write_bytes(FILE* file, const void* data, size_t size) {
    if (size != 0 && std::fwrite(data, 1, size, file) != size) {
        throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    }
}

void write_tensor_data(FILE* file, const TensorPlan& t, uint64_t seed, size_t alignment) {
    Random random{seed ^ anyclaude::fnv1a::hash(t.name)};
    constexpr int64_t kChunkValues = 1 << 22;
    const int64_t chunk_rows = std::max<int64_t>(1, kChunkValues / t.row_len);
    std::vector<float> values;
    std::vector<uint8_t> bytes;
    size_t written = 0;
    for (int64_t row = 0; row < t.rows; row += chunk_rows) {
        const int64_t rows = std::min(chunk_rows, t.rows - row);
        values.resize(size_t(rows * t.row_len));
        fill_values(t, random, values);
        convert_rows(t.type, values, rows, t.row_len, bytes);
        write_bytes(file, bytes.data(), bytes.size());
        written += bytes.size();
    }
    const std::vector<uint8_t> zeros((alignment - written % alignment) % alignment, 0);
    write_bytes(file, zeros.data(), zeros.size());
}

// ---------------------------------------------------------------------------------------------
// Writing the file: metadata, then tensor data in plan order, into PATH.tmp-PID, then rename.

struct GgufFile {
    gguf_context* ctx;
    explicit GgufFile(gguf_context* c) : ctx(c) {
        if (!ctx) throw std::runtime_error("cannot create gguf context");
    }
    GgufFile(const GgufFile&) = delete;
    GgufFile& operator=(const GgufFile&) = delete;
    ~GgufFile() { gguf_free(ctx); }
};

GgufFile open_vocab(const std::string& path) {
    gguf_init_params params{true, nullptr};
    gguf_context* ctx = gguf_init_from_file(path.c_str(), params);
    if (!ctx) throw std::runtime_error("cannot read vocab file " + path);
    return GgufFile(ctx);
}

void write_file(const std::string& path, const gguf_context* gguf, const std::vector<TensorPlan>& plan,
                uint64_t seed) {
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    try {
        std::vector<uint8_t> meta(gguf_get_meta_size(gguf));
        gguf_get_meta_data(gguf, meta.data());
        write_bytes(file, meta.data(), meta.size());
        for (const auto& t : plan) write_tensor_data(file, t, seed, gguf_get_alignment(gguf));
        if (std::fflush(file) != 0 || fsync(fileno(file)) != 0) {
            throw std::runtime_error(std::string("flush failed: ") + std::strerror(errno));
        }
    } catch (...) {
        std::fclose(file);
        throw;
    }
    if (std::fclose(file) != 0) throw std::runtime_error(std::string("close failed: ") + std::strerror(errno));
}

void write_atomically(const std::string& out, const gguf_context* gguf, const std::vector<TensorPlan>& plan,
                      uint64_t seed) {
    const std::string tmp = out + ".tmp-" + std::to_string(getpid());
    try {
        write_file(tmp, gguf, plan, seed);
        std::filesystem::rename(tmp, out);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw;
    }
}

// Tensors left in f16 under --type q8_0 because their rows are not whole q8_0 blocks.
int count_f16_fallbacks(const Options& opt, const std::vector<TensorPlan>& plan) {
    int n = 0;
    for (const auto& t : plan) n += opt.type == "q8_0" && t.type == GGML_TYPE_F16;
    return n;
}

int64_t count_params(const std::vector<TensorPlan>& plan) {
    int64_t n = 0;
    for (const auto& t : plan) n += t.row_len * t.rows;
    return n;
}

void print_summary(const Options& opt, const std::vector<TensorPlan>& plan, int64_t n_vocab) {
    const Shape& s = opt.shape;
    const auto bytes = std::filesystem::file_size(opt.out);
    std::printf("wrote %s\n", opt.out.c_str());
    std::printf("  arch %s, shape %s: %d layers, embd %d, ff %d, %d heads (%d kv, head dim %d), ctx %d, vocab %lld\n",
                opt.arch.c_str(), opt.shape_name.c_str(), s.layers, s.embd, s.ff, s.heads, s.kv_heads,
                s.head_dim, s.ctx, static_cast<long long>(n_vocab));
    std::printf("  %.2f M params, weights %s, seed %llu, template %s, std embd %g layers %g biases %g\n",
                double(count_params(plan)) / 1e6, opt.type.c_str(), static_cast<unsigned long long>(opt.seed),
                opt.template_name.c_str(), opt.embd_std, opt.layer_std, opt.bias_std);
    if (const int n = count_f16_fallbacks(opt, plan)) {
        std::printf("  %d tensors kept in f16: their rows are not a multiple of 32 values\n", n);
    }
    std::printf("  size %.1f MiB (%llu bytes)\n", double(bytes) / (1024.0 * 1024.0),
                static_cast<unsigned long long>(bytes));
}

void make_model(const Options& opt) {
    const GgufFile vocab_file = open_vocab(opt.vocab_path);
    Vocab vocab = read_vocab(vocab_file.ctx);
    add_qwen_special_tokens(vocab);
    const std::string chat_template = read_text_file(opt.templates_dir + "/" + template_file_name(opt.template_name));

    const int64_t n_vocab = int64_t(vocab.tokens.size());
    const std::vector<TensorPlan> plan = plan_tensors(opt, n_vocab);

    const GgufFile out(gguf_init_empty());
    set_general_kv(out.ctx, opt);
    set_arch_kv(out.ctx, opt);
    set_tokenizer_kv(out.ctx, vocab_file.ctx, vocab, chat_template);
    const GgmlContext tensors(plan.size());
    add_tensor_infos(out.ctx, tensors.ctx, plan);

    write_atomically(opt.out, out.ctx, plan, opt.seed);
    print_summary(opt, plan, n_vocab);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options opt = parse_args(argc, argv);
        make_model(opt);
        return 0;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "anyclaude-make-model: %s\n%s", e.what(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "anyclaude-make-model: %s\n", e.what());
        return 1;
    }
}
