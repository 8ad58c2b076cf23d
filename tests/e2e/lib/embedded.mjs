// Helpers for the embedded-mode tests: a tiny random-weights GGUF (anyclaude-make-model), the
// gateway running it in-process (`anyclaude serve --model tiny.gguf`), its /health engine counters,
// exact token counts, and Claude Code-shaped conversations built from the fixtures.
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { gatewayBin, readFixture } from './paths.mjs';
import { startGateway } from './gateway.mjs';
import { runProcess, scratchDir, removeDir } from './procs.mjs';
import { makeModelStopEarly, makeModelNeverStop } from './gguf.mjs';
import { client } from './sdk.mjs';

// anyclaude-make-model sits beside the gateway binary (ANYCLAUDE_MAKE_MODEL_BIN overrides).
export function makeModelBin() {
  const bin = process.env.ANYCLAUDE_MAKE_MODEL_BIN ?? path.join(path.dirname(gatewayBin()), 'anyclaude-make-model');
  if (!fs.existsSync(bin)) throw new Error(`model generator not found at ${bin} (build it, or set ANYCLAUDE_MAKE_MODEL_BIN)`);
  return bin;
}

// Writes the tiny qwen2 model (real Qwen tokenizer, Qwen2.5 template, random f32 weights) to
// dir/name. stopEarly: patch it so that it ends most turns by itself after a few tokens (see
// gguf.mjs), which Claude Code needs to finish a turn with exit status 0. neverStop: patch it so
// that it never ends an answer by itself, for tests that need an answer of exactly max_tokens.
export async function makeTinyModel(dir, { name = 'tiny.gguf', stopEarly = false, neverStop = false, seed = 1 } = {}) {
  const out = path.join(dir, name);
  const r = await runProcess(makeModelBin(), ['--out', out, '--shape', 'tiny', '--type', 'f32', '--seed', String(seed)], {}, 60000);
  assert.equal(r.code, 0, `anyclaude-make-model failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  if (stopEarly) makeModelStopEarly(out);
  if (neverStop) makeModelNeverStop(out);
  return out;
}

// For a test file whose tests share one tiny model: registers the file's before/after hooks that
// make it (makeTinyModel options) in a new scratch folder named after tag, and remove the folder.
// Returns {dir, model}, filled in once `before` has run.
export function tinyModelForFile(tag, opts) {
  const tiny = { dir: null, model: null };
  before(async () => {
    tiny.dir = scratchDir(tag);
    tiny.model = await makeTinyModel(tiny.dir, opts);
  });
  after(() => removeDir(tiny.dir));
  return tiny;
}

// Starts `anyclaude serve --model <gguf>` (embedded mode) on a free loopback port. The disk tier
// always goes to cacheDir (never the default ~/.cache/anyclaude/kv). ctxSize is a conversation's
// window: in the default per-sequence layout every sequence gets that many cells (--ctx-size is
// their sum); layout 'unified' gives one buffer of ctxSize cells that all sequences share.
export async function startEmbedded({ model, cacheDir, ctxSize = 16384, maxTokensCap = 16, parallel, layout = 'per-sequence', args = [], env, wrap, startTimeoutMs = 30000 }) {
  assert.ok(cacheDir, 'startEmbedded needs a cacheDir');
  const cells = layout === 'unified' ? ctxSize : ctxSize * (parallel ?? 4);
  const a = ['--model', model, '--cache-dir', cacheDir, '--ctx-size', String(cells), '--kv-layout', layout, '--max-tokens-cap', String(maxTokensCap)];
  if (parallel !== undefined) a.push('--parallel', String(parallel));
  return startGateway({ envOnly: true, args: [...a, ...args], env, wrap, startTimeoutMs });
}

// Runs fn(gw, sdk) against a new embedded gateway on `model` whose disk tier is a fresh folder
// under `dir`; the gateway's log tail is added to a failure; the gateway is stopped afterwards.
export async function withEmbedded({ model, dir, ...opts }, fn) {
  const gw = await startEmbedded({ model, cacheDir: path.join(dir, `kv-${Math.random().toString(36).slice(2)}`), ...opts });
  try {
    return await fn(gw, client(gw, { timeout: 60000 }));
  } catch (err) {
    err.message += `\n--- gateway log (tail) ---\n${gw.logs().slice(-4000)}`;
    throw err;
  } finally {
    await gw.stop();
  }
}

export async function health(gw) {
  const res = await fetch(`${gw.url}/health`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return res.json();
}

// /health's engine counters: requests, prompt_tokens, reused_tokens, computed_tokens,
// generated_tokens, reused_from {live, ram, disk}, snapshots_taken, cancelled, cache {...}.
export async function engineStats(gw) {
  const h = await health(gw);
  assert.ok(h.engine, `/health has no engine section: ${JSON.stringify(h)}`);
  return h.engine;
}

// b - a for the numeric counters (reused_from flattened as from_live, from_ram, from_disk).
export function statsDelta(a, b) {
  const out = {};
  for (const k of ['requests', 'prompt_tokens', 'reused_tokens', 'computed_tokens', 'generated_tokens', 'snapshots_taken', 'cancelled']) {
    out[k] = b[k] - a[k];
  }
  for (const k of ['live', 'ram', 'disk']) out[`from_${k}`] = b.reused_from[k] - a.reused_from[k];
  return out;
}

// The engine's admission log lines ("request on sequence S: P prompt tokens, R reused (tier), C to
// compute"), for diagnostics: what each request cost and where its prefix came from.
export function admissions(logs) {
  // "request on sequence 0: 11687 prompt tokens, 11673 reused (continue, live), 14 to compute":
  // the admission plan's action (src/engine/admission.hpp), then the tier reused from.
  const re = /request on sequence (\d+): (\d+) prompt tokens, (\d+) reused \((\w+), (\w+)\), (\d+) to compute/g;
  return [...logs.matchAll(re)].map((m) => ({ seq: +m[1], prompt: +m[2], reused: +m[3], action: m[4], tier: m[5], compute: +m[6] }));
}

// Headers Claude Code 2.1.328 sends (see the fixtures README).
export const CC_HEADERS = {
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,effort-2025-11-24',
  'x-claude-code-session-id': '00000000-0000-4000-8000-000000000000',
  'x-app': 'cli',
  'user-agent': 'claude-cli/2.1.328 (external, sdk-cli)',
};

export const fixture = (name) => JSON.parse(readFixture(name));

// POST /v1/messages/count_tokens with the request's prompt fields (stream and max_tokens are
// not part of a count request); returns input_tokens.
export async function countTokens(gw, body) {
  const { stream, max_tokens, ...rest } = body;
  const res = await fetch(`${gw.url}/v1/messages/count_tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'test-key' },
    body: JSON.stringify(rest),
    signal: AbortSignal.timeout(15000),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `count_tokens answered ${res.status}: ${text}`);
  const n = JSON.parse(text).input_tokens;
  assert.ok(Number.isInteger(n) && n > 0, `count_tokens: ${text}`);
  return n;
}

// All prompt tokens of a usage object, as Anthropic defines them.
export const promptTotal = (u) => u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);

// The next request of a Claude Code conversation, as Claude Code builds it (compare
// capture-first.json and capture-followup.json): the previous messages with their cache_control
// markers removed (the environment system message becomes a plain string), the assistant's
// answer, then the new user message carrying the cache_control breakpoint. The answer and the
// user message are texts, or content-block arrays taken as they are.
export function followUp(req, assistant, user) {
  const next = structuredClone(req);
  next.messages = next.messages.map((m) => {
    if (typeof m.content === 'string') return m;
    const blocks = m.content.map(({ cache_control, ...b }) => b);
    if (m.role === 'system' && blocks.length === 1 && blocks[0].type === 'text') return { role: m.role, content: blocks[0].text };
    return { role: m.role, content: blocks };
  });
  next.messages.push({ role: 'assistant', content: Array.isArray(assistant) ? assistant : [{ type: 'text', text: assistant.length ? assistant : '(no content)' }] });
  next.messages.push({ role: 'user', content: Array.isArray(user) ? user : [{ type: 'text', text: user, cache_control: { type: 'ephemeral' } }] });
  return next;
}

// Sends one turn with the SDK, streamed (create({stream:true}), every event kept) or not.
// Returns {start (message_start usage, streamed only), final (message_delta usage / the
// message's usage), text, stopReason, events}.
export async function sendTurn(sdk, body, { stream, headers = CC_HEADERS, signal } = {}) {
  if (stream) {
    const events = [];
    const s = await sdk.messages.create({ ...body, stream: true }, { headers, signal });
    for await (const ev of s) events.push(ev);
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'message_start', `events: ${types.join(',')}`);
    assert.equal(types.at(-1), 'message_stop', `events: ${types.join(',')}`);
    const md = events.find((e) => e.type === 'message_delta');
    assert.ok(md, 'a message_delta event');
    const text = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'text_delta').map((e) => e.delta.text).join('');
    return { start: events[0].message.usage, final: md.usage, text, stopReason: md.delta.stop_reason, events };
  }
  const msg = await sdk.messages.create({ ...body, stream: false }, { headers, signal });
  const text = msg.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
  return { start: null, final: msg.usage, text, stopReason: msg.stop_reason, message: msg };
}
