// A reply policy for the scripted backend (start({policy}) / setPolicy) that plays a model
// working through a repository with Claude Code's Read tool, on a server with a fixed window
// that behaves like llama-server:
// - every chat request is counted with countPromptTokens (below) and the count is reported as
//   usage.prompt_tokens, so Claude Code's own fullness count (the last answer's usage plus its
//   estimate of newer messages) sees a real-sized prompt;
// - a prompt of `window` tokens or more is answered with llama-server's own context error (400
//   exceed_context_size_error with n_prompt_tokens and n_ctx: BACKEND_KINDS['llama-server']);
// - Claude Code's compaction request (its last user text starts "CRITICAL: Respond with TEXT
//   ONLY") gets a short <analysis>/<summary> text;
// - a request without tools (a side request) gets a short text;
// - any other request gets a Read tool call for the next file of `files` (a counter kept here,
//   since compaction removes the earlier tool results from the history); after `readsPerTurn`
//   reads, or when every file is read, a final text ends the turn (the next main request, e.g.
//   the next `claude -p --continue`, starts a new batch of reads).
// Each request record gets rec.agent = {role, prompt_tokens, file?}.
import { BACKEND_KINDS } from '../scripted_backend.mjs';

export const COMPACTION_MARK = 'CRITICAL: Respond with TEXT ONLY';

// The tokenizer stand-in. Real servers count with the model's BPE tokenizer; this counts what a
// chat template renders (every message's text, tool calls' arguments, the tool definitions as
// JSON) at BYTES_PER_TOKEN bytes a token, except that each decimal digit is one token, as Qwen's
// tokenizer splits numbers into single digits. BYTES_PER_TOKEN is chosen so that Claude Code
// 2.1.328's first request (system prompt, tools, one user line) comes out near the 11976 tokens
// the Qwen tokenizer gave for it (../shared/research/claude-code-compaction.md §6). Text in
// source files thus counts like Claude Code's own ~4-bytes-a-token estimate; a file of digits
// counts ~4 times more than Claude Code estimates, which is how a turn can overshoot its count.
export const BYTES_PER_TOKEN = 4;
export const PER_MESSAGE_TOKENS = 4;

export function countTextTokens(s) {
  if (!s) return 0;
  const digits = (s.match(/[0-9]/g) ?? []).length;
  return digits + Math.ceil((Buffer.byteLength(s, 'utf8') - digits) / BYTES_PER_TOKEN);
}

const textOf = (c) => (typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('\n') : '');

export function countPromptTokens(req) {
  let n = 0;
  for (const m of req.messages ?? []) {
    n += PER_MESSAGE_TOKENS + countTextTokens(textOf(m.content));
    for (const tc of m.tool_calls ?? []) n += countTextTokens(tc.function?.name) + countTextTokens(tc.function?.arguments);
  }
  if (Array.isArray(req.tools) && req.tools.length) n += countTextTokens(JSON.stringify(req.tools));
  return n;
}

export function lastUserText(req) {
  const users = (req.messages ?? []).filter((m) => m.role === 'user');
  return users.length ? textOf(users.at(-1).content) : '';
}

export const isCompaction = (req) => lastUserText(req).includes(COMPACTION_MARK);

// files: absolute paths to Read, in order. window: the server's context (n_ctx).
export function agentPolicy({ window, files, readsPerTurn = Infinity, finalText = 'All files read; the work is done.', log = [] }) {
  let next = 0;
  let batch = 0;
  const usage = (prompt, text) => ({ prompt_tokens: prompt, completion_tokens: Math.max(1, countTextTokens(text)) });
  const policy = (req, rec) => {
    const n = countPromptTokens(req);
    const compaction = isCompaction(req);
    const hasTools = Array.isArray(req.tools) && req.tools.length > 0;
    const entry = { seq: rec?.seq, prompt_tokens: n, messages: (req.messages ?? []).length };
    const done = (role, spec) => { entry.role = role; log.push(entry); if (rec) rec.agent = entry; return spec; };
    if (n >= window) return done('too_long', BACKEND_KINDS['llama-server'].contextError(n, window));
    if (compaction) {
      const text = `<analysis>The user asked to review the repository file by file; ${next} of ${files.length} files are read so far.</analysis>\n`
        + `<summary>1. Primary request: read every file of the repository and report.\n2. Progress: ${next} of ${files.length} files read`
        + `${next ? `, the last ${files[next - 1]}` : ''}.\n3. Next step: read the remaining files, then answer.</summary>`;
      return done('compaction', { kind: 'text', text, usage: usage(n, text) });
    }
    if (!hasTools) return done('side', { kind: 'text', text: 'Reviewing files', usage: usage(n, 'Reviewing files') });
    if (next < files.length && batch < readsPerTurn) {
      batch++;
      entry.file = files[next];
      const args = { file_path: files[next++] };
      return done('read', { kind: 'tool_calls', calls: [{ name: 'Read', arguments: args }], usage: usage(n, JSON.stringify(args)) });
    }
    batch = 0;
    const text = next < files.length ? `Read ${next} of ${files.length} files so far.` : finalText;
    return done('final', { kind: 'text', text, usage: usage(n, text) });
  };
  policy.log = log;
  policy.filesRead = () => next;
  return policy;
}
