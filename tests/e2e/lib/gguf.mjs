// Reads the tensor table of a GGUF file and patches f32 tensor values in place. The embedded-mode
// tests use it to make a random-weights model (anyclaude-make-model --type f32) that ends its
// turns by itself: Claude Code treats stop_reason max_tokens as an error (exit 1), so a
// `claude -p` turn can only complete with a model that samples <|im_end|> on its own; and the
// opposite, a model that never samples a control token, for tests that need an answer of an
// exact length (an unpatched random model ends one answer in about a hundred on its own).
import fs from 'node:fs';

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
const GGML_F32 = 0;
const TYPE_INT32 = 5;
const TOKEN_TYPE_CONTROL = 3;

// Returns {alignment, dataStart, tensors: Map(name -> {dims, type, offset}), tokenTypes}; offsets
// are absolute file positions of each tensor's data; tokenTypes is tokenizer.ggml.token_type
// (an Int32Array, or null when the file has none).
export function readTensorTable(file) {
  const fd = fs.openSync(file, 'r');
  try {
    // The header (metadata + tensor infos) of the small models fits in a few MiB; the tokenizer's
    // vocabulary and merges are most of it.
    const head = Buffer.alloc(Math.min(fs.fstatSync(fd).size, 32 << 20));
    fs.readSync(fd, head, 0, head.length, 0);
    let p = 0;
    const u32 = () => { const v = head.readUInt32LE(p); p += 4; return v; };
    const u64 = () => { const v = Number(head.readBigUInt64LE(p)); p += 8; return v; };
    const str = () => { const n = u64(); const s = head.toString('utf8', p, p + n); p += n; return s; };
    const skipValue = (type) => {
      if (type === TYPE_STRING) { const n = u64(); p += n; return; }
      if (type === TYPE_ARRAY) {
        const et = u32();
        const n = u64();
        if (et === TYPE_STRING || et === TYPE_ARRAY) { for (let i = 0; i < n; i++) skipValue(et); return; }
        p += SCALAR_SIZE[et] * n;
        return;
      }
      if (!(type in SCALAR_SIZE)) throw new Error(`gguf: unknown value type ${type}`);
      p += SCALAR_SIZE[type];
    };
    if (u32() !== GGUF_MAGIC) throw new Error(`${file} is not a GGUF file`);
    const version = u32();
    if (version < 2) throw new Error(`gguf: version ${version} not supported`);
    const nTensors = u64();
    const nKv = u64();
    let alignment = 32;
    let tokenTypes = null;
    for (let i = 0; i < nKv; i++) {
      const key = str();
      const type = u32();
      if (key === 'general.alignment' && type === 4) { alignment = head.readUInt32LE(p); }
      if (key === 'tokenizer.ggml.token_type' && type === TYPE_ARRAY && head.readUInt32LE(p) === TYPE_INT32) {
        const n = Number(head.readBigUInt64LE(p + 4));
        tokenTypes = Int32Array.from({ length: n }, (_, k) => head.readInt32LE(p + 12 + 4 * k));
      }
      skipValue(type);
    }
    const infos = [];
    for (let i = 0; i < nTensors; i++) {
      const name = str();
      const nd = u32();
      const dims = Array.from({ length: nd }, () => u64());
      const type = u32();
      const offset = u64();
      infos.push({ name, dims, type, rel: offset });
    }
    const dataStart = Math.ceil(p / alignment) * alignment;
    const tensors = new Map(infos.map((t) => [t.name, { dims: t.dims, type: t.type, offset: dataStart + t.rel }]));
    return { alignment, dataStart, tensors, tokenTypes };
  } finally {
    fs.closeSync(fd);
  }
}

// Makes the model end its turns after a few tokens: every token embedding gets the same value
// `base` in dimension 0, and <|im_end|>'s gets `eos`. With the output projection tied to
// token_embd (anyclaude-make-model's qwen2), the final hidden state is dominated by that shared
// component, so <|im_end|>'s logit is ~(eos - base) * h0 above every other token's: about
// e^(that) / (e^(that) + vocab) per step. The defaults give about one chance in twenty per token
// (measured on the tiny shape: 19 tokens per answer on average, 1 in 150 answers empty, none past
// 120 tokens in 150; eos 2.3 gives 9 tokens on average but 1 answer in 8 empty).
export function makeModelStopEarly(file, { eosToken = 151645, base = 1.0, eos = 2.2 } = {}) {
  setSharedComponent(file, (t) => (t === eosToken ? eos : base));
}

// Makes the model never end an answer by itself (nor sample any other control token): the same
// shared component as above, with every CONTROL token (<|im_end|>, <|endoftext|>, the FIM and
// repo markers: all the end-of-generation tokens) given `control` instead of `base`. Their
// logits sit ~(base - control) * h0, about 30 nats with the defaults, below every other token's.
export function makeModelNeverStop(file, { base = 1.0, control = -3.0 } = {}) {
  const table = readTensorTable(file);
  if (!table.tokenTypes) throw new Error('gguf: no tokenizer.ggml.token_type');
  setSharedComponent(file, (t) => (table.tokenTypes[t] === TOKEN_TYPE_CONTROL ? control : base), table);
}

// Writes valueFor(token) into dimension 0 of every row of token_embd (tied to the output).
// `table`: the file's readTensorTable() when the caller has read it already.
function setSharedComponent(file, valueFor, table = readTensorTable(file)) {
  const { tensors } = table;
  const emb = tensors.get('token_embd.weight');
  if (!emb) throw new Error('gguf: no token_embd.weight');
  if (emb.type !== GGML_F32) throw new Error('gguf: token_embd.weight must be f32 (make the model with --type f32)');
  if (tensors.has('output.weight')) throw new Error('gguf: the output projection must be tied to token_embd');
  const [nEmbd, nVocab] = emb.dims;
  const fd = fs.openSync(file, 'r+');
  try {
    const rows = Buffer.alloc(nEmbd * nVocab * 4);
    fs.readSync(fd, rows, 0, rows.length, emb.offset);
    for (let t = 0; t < nVocab; t++) rows.writeFloatLE(valueFor(t), t * nEmbd * 4);
    fs.writeSync(fd, rows, 0, rows.length, emb.offset);
  } finally {
    fs.closeSync(fd);
  }
}
