#!/usr/bin/env node
// Soak benchmark: many streamed, Claude-Code-shaped requests against the embedded engine running
// the tiny random-weights model, on loopback, `concurrency` at a time, with a share of the clients
// hanging up at random points. Reports failures other than the intended disconnects (target 0),
// the gateway's resident memory growth from request --rss-base to the last one (target <= 5%),
// time to first token, and checks afterwards that the server still answers, that its engine
// counters add up, that no sequence is stuck, and that it exits 0 on SIGTERM.
//
//   node bench/soak/run.mjs [--requests 2000] [--concurrency 8] [--disconnect 0.1] [--seed 1]
//        [--bin build/anyclaude] [--max-tokens-cap 16] [--parallel 8] [--ctx-size 65536]
//        [--cache-ram-mb 24] [--cache-disk-mb 20480] [--flash-attn true] [--prompt-scale 0.2] [--rss-base 200]
//        [--sample-every 200] [--quiet-ms 500] [--request-timeout-ms 120000] [--out FILE] [--keep]
//
// See bench/soak/README.md for the traffic mix and what the figures mean.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { REPO, FIXTURES } from '../../tests/e2e/lib/paths.mjs';
import { makeTinyModel, startEmbedded, CC_HEADERS, followUp } from '../../tests/e2e/lib/embedded.mjs';
import { parseSse } from '../../tests/e2e/lib/sse.mjs';
import { sleep } from '../../tests/e2e/lib/procs.mjs';
import { rng } from '../session/filler.mjs';

const { values: opt } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    disconnect: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '1' },
    bin: { type: 'string', default: process.env.ANYCLAUDE_BIN ?? 'build/anyclaude' },
    'max-tokens-cap': { type: 'string', default: '16' },
    parallel: { type: 'string' },           // default: concurrency
    'ctx-size': { type: 'string' },         // default: 16384 per sequence
    'cache-ram-mb': { type: 'string', default: '24' },  // small: the RAM tier is full well before --rss-base
    // The gateway's own default (20 GiB): the disk tier grows through the whole run. Its index
    // keeps each file's tokens that no other file shares (4 bytes a token, ~7 KB a file here)
    // in memory, ~1.5% of the files' size with the tiny model (~270 bytes per token on disk; a
    // real model's file is ~100x larger per token).
    'cache-disk-mb': { type: 'string', default: '20480' },
    'prompt-scale': { type: 'string', default: '0.2' },  // share of every prose string of the fixtures kept
    'flash-attn': { type: 'string', default: 'true' },  // off: the attention scratch grows with the KV cells in use
    'rss-base': { type: 'string', default: '200' },
    'quiet-ms': { type: 'string', default: '500' },  // idle time before a memory sample
    'sample-every': { type: 'string', default: '200' },
    'request-timeout-ms': { type: 'string', default: '120000' },
    'log-level': { type: 'string', default: 'info' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },  // keep the scratch folder (model, disk tier, log)
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  const lines = fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}

const int = (name, min = 0) => {
  const v = Number(opt[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min} (got ${opt[name]})`);
  return v;
};
const N = int('requests', 1);
const CONC = int('concurrency', 1);
const P_DISC = Number(opt.disconnect);
if (!(P_DISC >= 0 && P_DISC <= 1)) throw new Error('--disconnect must be a probability in [0, 1]');
const SEED = int('seed');
const CAP = int('max-tokens-cap', 2);
const PARALLEL = opt.parallel !== undefined ? int('parallel', 1) : CONC;
const CTX = opt['ctx-size'] !== undefined ? int('ctx-size', 1024) : 8192 * PARALLEL;
const RAM_MB = int('cache-ram-mb');
const DISK_MB = int('cache-disk-mb', 1);
const SCALE = Number(opt['prompt-scale']);
if (!(SCALE > 0 && SCALE <= 1)) throw new Error('--prompt-scale must be in (0, 1]');
const RSS_BASE = Math.min(int('rss-base', 1), N);
const QUIET_MS = int('quiet-ms', 0);
const EVERY = int('sample-every', 1);
const REQ_TIMEOUT = int('request-timeout-ms', 1000);
process.env.ANYCLAUDE_BIN = path.resolve(REPO, opt.bin);  // read by gatewayBin() / makeModelBin()

// ---------------------------------------------------------------------------------------------
// Seeded randomness and text.

const between = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));  // integer in [lo, hi]
const hex = (r, n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');

const readFx = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
// Modest prompts: every prose string (system blocks after the billing line, tool and schema
// descriptions, the environment block, the first user message's reminders) cut to its first
// SCALE share of words; keys, tool names, schemas, roles and cache_control stay as captured.
// 1.0 is the captured size (~9.8k tokens for a first turn); 0.2 gives ~3.5k.
const cut = (s) => { const w = s.split(' '); return w.slice(0, Math.max(1, Math.round(w.length * SCALE))).join(' '); };
function cutDescriptions(o) {
  if (Array.isArray(o)) { o.forEach(cutDescriptions); return; }
  if (!o || typeof o !== 'object') return;
  for (const k of Object.keys(o)) {
    if (k === 'description' && typeof o[k] === 'string') o[k] = cut(o[k]);
    else cutDescriptions(o[k]);
  }
}
function modest(body) {
  if (SCALE >= 1) return body;
  for (const s of body.system.slice(1)) s.text = cut(s.text);
  for (const t of body.tools ?? []) cutDescriptions(t);
  for (const m of body.messages) {
    if (typeof m.content === 'string') m.content = cut(m.content);
    else for (const c of m.content) if (c.type === 'text' && c.text.length > 100) c.text = cut(c.text);
  }
  return body;
}
const FX = {
  first: modest(readFx('capture-first.json')),
  interactive: modest(readFx('capture-interactive-first.json')),
  side: modest(readFx('capture-side-1.json')),
};
// The vocabulary of the fixtures' prose (space-separated pieces, with their punctuation and line
// breaks), so generated text tokenizes like the captured text.
const VOCAB = readFx('capture-first.json').system[2].text.split(' ').filter((p) => p.length > 0);
const words = (r, n) => Array.from({ length: n }, () => VOCAB[Math.floor(r() * VOCAB.length)]).join(' ').replace(/\n+$/, '') || 'ok';

// ---------------------------------------------------------------------------------------------
// Claude Code-shaped traffic. Each worker is one Claude Code user: a conversation that grows turn
// by turn (a query and the model's answer, or a tool call and its result), now and then a
// session-title side request, and a new conversation when the current one has had its turns or
// its first turn was cut off. Every conversation shares the tools + system prefix of its fixture.

const billing = (line, suffix) => line.replace(/(cc_version=\d+\.\d+\.\d+\.)[0-9a-f]+/, `$1${suffix}`);


const TOOLS = ['Read', 'Bash', 'Edit', 'Write'];
function toolUse(r) {
  const id = `toolu_${hex(r, 16)}`;
  const file = `/home/dev/project/src/${words(r, 1).replace(/[^a-z]/g, '') || 'main'}.py`;
  switch (TOOLS[Math.floor(r() * TOOLS.length)]) {
    case 'Read': return { type: 'tool_use', id, name: 'Read', input: { file_path: file } };
    case 'Bash': return { type: 'tool_use', id, name: 'Bash', input: { command: `grep -rn "${words(r, 1).replace(/[^a-z]/g, '')}" src | head -40`, description: words(r, 5) } };
    case 'Edit': return { type: 'tool_use', id, name: 'Edit', input: { file_path: file, old_string: words(r, between(r, 3, 15)), new_string: words(r, between(r, 3, 15)) } };
    default: return { type: 'tool_use', id, name: 'Write', input: { file_path: file, content: words(r, between(r, 10, 60)) } };
  }
}

class Client {
  constructor(w) {
    this.w = w;
    this.r = rng((SEED * 1000003 + w * 7919 + 1) >>> 0);
    this.conv = null;   // {req, answer, turns, maxTurns}
    this.convs = 0;
  }

  // The next request: {kind, body}.
  next() {
    const r = this.r;
    if (!this.conv || this.conv.turns >= this.conv.maxTurns) return { kind: 'first', body: this.first() };
    const x = r();
    if (x < 0.12) return { kind: 'side', body: this.side() };
    const { req, answer } = this.conv;
    if (x < 0.4) {
      // The model called a tool (scripted: the tiny model's own output is noise); the user turn
      // carries its result, and a result for any tool call the model really made.
      const scripted = toolUse(r);
      const uses = [...answer.filter((b) => b.type === 'tool_use'), scripted];
      const results = uses.map((u, i) => ({
        tool_use_id: u.id, type: 'tool_result', content: words(r, between(r, 10, 250)),
        ...(i === uses.length - 1 ? { cache_control: { type: 'ephemeral' } } : {}),
      }));
      return { kind: 'tool', body: followUp(req, [...answer, scripted], results) };
    }
    const user = [{ type: 'text', text: words(r, between(r, 3, 60)), cache_control: { type: 'ephemeral' } }];
    const results = answer.filter((b) => b.type === 'tool_use').map((u) => ({ tool_use_id: u.id, type: 'tool_result', content: words(r, 20) }));
    return { kind: 'followup', body: followUp(req, answer, [...results, ...user]) };
  }

  first() {
    const r = this.r;
    const interactive = r() < 0.2;
    const body = structuredClone(interactive ? FX.interactive : FX.first);
    this.convs++;
    body.system[0].text = billing(body.system[0].text, hex(r, 3));
    body.messages[0].content[2].text = words(r, between(r, 2, 40));
    body.metadata.user_id = JSON.stringify({ device_id: '0'.repeat(64), account_uuid: '', session_id: `00000000-0000-4000-8000-${String(this.w).padStart(4, '0')}${String(this.convs).padStart(8, '0')}` });
    body.stream = true;
    this.pending = { maxTurns: between(r, 3, 14) };
    return body;
  }

  side() {
    const body = structuredClone(FX.side);
    body.system[0].text = billing(body.system[0].text, hex(this.r, 3));
    body.messages[0].content[0].text = words(this.r, between(this.r, 5, 40));
    body.stream = true;
    return body;
  }

  // What the conversation becomes after a request: a completed main turn advances it (with the
  // model's answer as the assistant turn); a cut-off one leaves it where it was, so the next turn
  // is a sibling of the abandoned one (a first turn that was cut off starts a new conversation).
  after(kind, body, res) {
    if (kind === 'side') return;
    if (res.outcome !== 'ok') {
      if (kind === 'first') this.conv = null;
      return;
    }
    const answer = res.blocks.filter((b) => b.type === 'text' || b.type === 'tool_use').map((b) => {
      if (b.type === 'text') return { type: 'text', text: b.text };
      let input = {};
      try { input = JSON.parse(b.json || '{}'); } catch { /* partial: empty input */ }
      return { type: 'tool_use', id: b.id, name: b.name, input };
    }).filter((b) => b.type !== 'text' || b.text.length > 0);
    if (!answer.length) answer.push({ type: 'text', text: '(no content)' });
    if (kind === 'first') this.conv = { req: body, answer, turns: 1, maxTurns: this.pending.maxTurns };
    else this.conv = { ...this.conv, req: body, answer, turns: this.conv.turns + 1 };
  }
}

// ---------------------------------------------------------------------------------------------
// One streamed request over node's http client: the events as they come, time to first token,
// and a check of the whole stream. plan (intended disconnects): {point, k, delayMs}.

const STOP_REASONS = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal']);
const DELTA_FOR = { text: ['text_delta'], thinking: ['thinking_delta', 'signature_delta'], redacted_thinking: [], tool_use: ['input_json_delta'] };

// Checks an ended stream; returns the list of problems (empty: a good stream) and the blocks.
function checkStream(events) {
  const problems = [];
  const blocks = [];
  let i = 0;
  const evs = events.filter((e) => e.event !== 'ping');
  const bad = (msg) => problems.push(`${msg} (event ${i}: ${JSON.stringify(evs[i]?.data ?? null)?.slice(0, 300)})`);
  for (const e of evs) {
    if (e.json === undefined) { try { e.json = JSON.parse(e.data); } catch { e.json = null; } }
    if (e.json && e.event !== e.json.type) problems.push(`event name ${e.event} but data type ${e.json.type}`);
  }
  const errorEv = evs.find((e) => e.event === 'error');
  if (errorEv) problems.push(`error event: ${errorEv.data}`);
  if (evs[i]?.event !== 'message_start') { bad('expected message_start first'); return { problems, blocks }; }
  const ms = evs[i].json?.message;
  if (!ms || ms.role !== 'assistant' || !Array.isArray(ms.content) || !ms.usage || !(ms.usage.input_tokens >= 0)) bad('malformed message_start');
  const promptTokens = ms ? (ms.usage?.input_tokens ?? 0) + (ms.usage?.cache_read_input_tokens ?? 0) + (ms.usage?.cache_creation_input_tokens ?? 0) : 0;
  if (!(promptTokens > 0)) bad('message_start usage counts no prompt tokens');
  i++;
  while (evs[i]?.event === 'content_block_start') {
    const cbs = evs[i].json;
    const index = blocks.length;
    if (cbs?.index !== index) bad(`content_block_start index ${cbs?.index}, expected ${index}`);
    const cb = cbs?.content_block ?? {};
    if (!(cb.type in DELTA_FOR)) bad(`unknown content block type ${cb.type}`);
    const block = { type: cb.type, text: cb.text ?? cb.thinking ?? '', json: '', id: cb.id, name: cb.name, deltas: 0 };
    blocks.push(block);
    i++;
    while (evs[i]?.event === 'content_block_delta') {
      const d = evs[i].json;
      if (d?.index !== index) bad(`delta for index ${d?.index} inside block ${index}`);
      if (!(DELTA_FOR[cb.type] ?? []).includes(d?.delta?.type)) bad(`${d?.delta?.type} inside a ${cb.type} block`);
      if (d?.delta?.type === 'text_delta') block.text += d.delta.text;
      else if (d?.delta?.type === 'thinking_delta') block.text += d.delta.thinking;
      else if (d?.delta?.type === 'input_json_delta') block.json += d.delta.partial_json;
      block.deltas++;
      i++;
    }
    if (evs[i]?.event !== 'content_block_stop' || evs[i].json?.index !== index) { bad(`expected content_block_stop for block ${index}`); return { problems, blocks }; }
    i++;
  }
  if (evs[i]?.event !== 'message_delta') { bad('expected message_delta after the content blocks'); return { problems, blocks }; }
  const md = evs[i].json;
  if (!STOP_REASONS.has(md?.delta?.stop_reason)) bad(`stop_reason ${md?.delta?.stop_reason}`);
  if (!Number.isInteger(md?.usage?.output_tokens)) bad('message_delta usage has no output_tokens');
  else if (md.usage.output_tokens > CAP) bad(`output_tokens ${md.usage.output_tokens} above the cap ${CAP}`);
  if (md?.delta?.stop_reason === 'tool_use' && !blocks.some((b) => b.type === 'tool_use')) bad('stop_reason tool_use without a tool_use block');
  for (const b of blocks) if (b.type === 'tool_use' && b.json) { try { JSON.parse(b.json); } catch { problems.push(`tool_use input is not JSON: ${b.json.slice(0, 200)}`); } }
  i++;
  if (evs[i]?.event !== 'message_stop') { bad('expected message_stop after message_delta'); return { problems, blocks }; }
  i++;
  if (i !== evs.length) bad(`${evs.length - i} event(s) after message_stop`);
  return { problems, blocks, usage: { ...ms.usage, output_tokens: md?.usage?.output_tokens }, stopReason: md?.delta?.stop_reason, promptTokens };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONC * 2 });

function send(gw, body, plan) {
  return new Promise((resolve) => {
    const payload = Buffer.from(JSON.stringify(body));
    const t0 = performance.now();
    const out = { t0, status: 0, events: [], ttftMs: null, headersMs: null, startMs: null, totalMs: null, state: 'before-headers', deltas: 0 };
    let settled = false;
    let cutTimer = null;
    const finish = (outcome, extra = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(cutTimer);
      out.totalMs = performance.now() - t0;
      resolve({ ...out, outcome, ...extra });
    };
    const req = http.request({
      host: '127.0.0.1', port: gw.port, method: 'POST', path: '/v1/messages?beta=true', agent,
      headers: { ...CC_HEADERS, 'anthropic-version': '2023-06-01', 'x-api-key': 'soak-key', 'content-type': 'application/json', 'content-length': payload.length },
    });
    // The intended disconnect: destroy the socket, which is what a killed client or Esc does.
    const hangUp = () => {
      if (settled) return;
      out.disconnectedAt = out.state === 'streaming' ? `after ${out.deltas} delta(s)` : out.state;
      req.destroy();
      finish('disconnect');
    };
    req.on('error', (err) => finish(plan ? 'disconnect' : 'failure', { error: `request error: ${err.code ?? ''} ${err.message}` }));
    const timer = setTimeout(() => { req.destroy(); finish('failure', { error: `timed out after ${REQ_TIMEOUT} ms in state ${out.state}` }); }, REQ_TIMEOUT);
    if (plan?.point === 'before-headers') cutTimer = setTimeout(hangUp, plan.delayMs);
    req.on('response', (res) => {
      out.status = res.statusCode;
      out.headersMs = performance.now() - t0;
      out.contentType = res.headers['content-type'];
      out.state = 'after-headers';
      if (plan?.point === 'before-headers') { hangUp(); return; }  // the headers came first: cut now
      if (plan?.point === 'after-headers') { hangUp(); return; }
      res.setEncoding('utf8');
      let buf = '';
      let raw = '';
      res.on('data', (chunk) => {
        if (settled) return;
        raw += chunk;
        buf += chunk;
        const [evs, rest] = parseSse(buf);
        buf = rest;
        for (const e of evs) {
          const now = performance.now() - t0;
          try { e.json = JSON.parse(e.data); } catch { /* checked later */ }
          out.events.push(e);
          if (e.event === 'message_start') { out.startMs = now; out.state = 'after-message_start'; }
          if (e.event === 'content_block_delta') {
            if (out.ttftMs === null) out.ttftMs = now;
            out.deltas++;
            out.state = 'streaming';
          }
          if (plan?.point === 'after-message_start' && e.event === 'message_start') { hangUp(); return; }
          if (plan?.point === 'after-deltas' && e.event === 'content_block_delta' && out.deltas >= plan.k) { hangUp(); return; }
        }
      });
      res.on('error', (err) => finish(plan ? 'disconnect' : 'failure', { error: `response error: ${err.message}`, raw }));
      res.on('aborted', () => finish(plan ? 'disconnect' : 'failure', { error: 'response aborted by the server', raw }));
      res.on('end', () => {
        if (settled) return;
        if (buf.trim().length) out.events.push({ event: null, data: buf, trailing: true });
        if (out.status !== 200) { finish(plan ? 'disconnect' : 'failure', { error: `HTTP ${out.status}: ${raw.slice(0, 500)}`, raw }); return; }
        const c = checkStream(out.events);
        if (!/^text\/event-stream/.test(out.contentType ?? '')) c.problems.push(`content-type ${out.contentType}`);
        if (out.events.some((e) => e.trailing)) c.problems.push(`unterminated event at the end: ${buf.slice(0, 200)}`);
        // A planned disconnect whose point never came (the answer was shorter) is a completed
        // request like any other.
        if (c.problems.length) finish('failure', { error: c.problems.join('; '), raw, blocks: c.blocks });
        else finish('ok', { blocks: c.blocks, usage: c.usage, stopReason: c.stopReason, promptTokens: c.promptTokens, plannedButCompleted: !!plan });
      });
    });
    req.end(payload);
  });
}

// Where an intended disconnect happens: before the response headers (half of them within 30 ms,
// while the body is read and the prompt rendered; the others after 30-400 ms, in the queue or the
// prefill), right after the headers, right after message_start, or after k content deltas (k in
// [1, cap - 1]).
function planDisconnect(r) {
  const x = r();
  if (x < 0.25) return { point: 'before-headers', delayMs: r() < 0.5 ? between(r, 0, 30) : between(r, 30, 400) };
  if (x < 0.4) return { point: 'after-headers' };
  if (x < 0.55) return { point: 'after-message_start' };
  return { point: 'after-deltas', k: between(r, 1, Math.max(1, CAP - 1)) };
}

// ---------------------------------------------------------------------------------------------
// Measurements.

function rssKb(pid) {
  let s;
  try { s = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return { rss: NaN, hwm: NaN, threads: NaN, anon: NaN, file: NaN }; }
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);  // NaN: gone (a zombie has no VmRSS)
  // VmRSS = RssAnon (heap, stacks) + RssFile (the model file's mapped pages, libraries) + RssShmem.
  return { rss: field('VmRSS'), hwm: field('VmHWM'), threads: field('Threads'), anon: field('RssAnon'), file: field('RssFile') };
}
// The largest anonymous mapping: llama.cpp's KV cache and compute buffers, allocated once at
// start and made resident page by page as KV cells are first written (bounded by its size).
function largestAnonMapping(pid) {
  let txt;
  try { txt = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8'); } catch { return null; }
  let best = null;
  let cur = null;
  for (const l of txt.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(l);
    if (m) {
      cur = m[3] ? null : { sizeKb: (parseInt(m[2], 16) - parseInt(m[1], 16)) / 1024, rssKb: 0 };
      if (cur && (!best || cur.sizeKb > best.sizeKb)) best = cur;
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(l);
    if (r && cur) cur.rssKb = Number(r[1]);
  }
  return best;
}
function openFds(pid) {
  try { return fs.readdirSync(`/proc/${pid}/fd`).length; } catch { return null; }
}
async function healthOf(gw, timeoutMs = 10000) {
  const res = await fetch(`${gw.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.json() };
}
function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const ms = (v) => (v === null || v === undefined ? '-' : `${v.toFixed(1)} ms`);
const mb = (kb) => `${(kb / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'anyclaude-soak-'));
  const cacheDir = path.join(scratch, 'kv');
  const settings = { promptScale: SCALE, flashAttn: opt['flash-attn'], requests: N, concurrency: CONC, disconnect: P_DISC, seed: SEED, maxTokensCap: CAP, parallel: PARALLEL, ctxSize: CTX, cacheRamMb: RAM_MB, cacheDiskMb: DISK_MB, bin: process.env.ANYCLAUDE_BIN, rssBase: RSS_BASE, sampleEvery: EVERY, quietMs: QUIET_MS, node: process.version, cpus: os.cpus().length, host: os.hostname() };
  console.log(`soak: ${N} streamed requests, ${CONC} at a time, ${(P_DISC * 100).toFixed(0)}% disconnects, seed ${SEED}`);
  console.log(`gateway: ${settings.bin} serve (embedded tiny model) --parallel ${PARALLEL} --ctx-size ${CTX} --max-tokens-cap ${CAP} --cache-ram-mb ${RAM_MB} --cache-disk-mb ${DISK_MB} --flash-attn ${opt['flash-attn']} --cache-dir ${cacheDir}`);
  console.log(`traffic: Claude Code 2.1.328 shapes, prose cut to ${SCALE} of its length (--prompt-scale)`);
  const model = await makeTinyModel(scratch);
  const gw = await startEmbedded({ model, cacheDir, ctxSize: Math.floor(CTX / PARALLEL), maxTokensCap: CAP, parallel: PARALLEL, args: ['--cache-ram-mb', String(RAM_MB), '--cache-disk-mb', String(DISK_MB), '--flash-attn', opt['flash-attn'], '--log-level', opt['log-level']], startTimeoutMs: 60000 });
  console.log(`gateway pid ${gw.pid} on ${gw.url}; RSS at start ${mb(rssKb(gw.pid).rss)}`);
  // A gateway that dies during the run is the finding: say so at once, with its log.
  let died = null;
  gw.proc.exited.then((r) => {
    if (stopping) return;
    died = r;
    console.log(`\nGATEWAY EXITED during the run (code ${r.code}, signal ${r.signal}); last log lines:\n${(gw.proc.stderr() + gw.proc.stdout()).split('\n').slice(-40).join('\n')}`);
  });
  const stopOnSignal = () => { gw.proc.stop(2000).finally(() => process.exit(130)); };
  process.once('SIGINT', stopOnSignal);

  const clients = Array.from({ length: CONC }, (_, w) => new Client(w));
  const planRng = Array.from({ length: CONC }, (_, w) => rng((SEED * 2654435761 + w * 40503 + 7) >>> 0));
  const results = new Array(N);
  const samples = [];
  const failures = [];
  let issued = 0;
  let stopping = false;
  let done = 0;
  let sampling = Promise.resolve();
  const tStart = performance.now();
  let lastPrint = tStart;

  let lastHealth = Promise.resolve();  // the /health read of the latest sample
  const sample = (at) => {
    const m = rssKb(gw.pid);
    const s = { at, tS: (performance.now() - tStart) / 1000, rssKb: m.rss, hwmKb: m.hwm, anonKb: m.anon, fileKb: m.file, kv: largestAnonMapping(gw.pid), threads: m.threads, fds: openFds(gw.pid) };
    samples.push(s);
    // The engine's own figures at the same moment (the RAM tier is part of the RSS by design).
    lastHealth = healthOf(gw).then((h) => { s.inFlight = h.body.in_flight; s.heap = h.body.memory; s.cache = h.body.engine?.cache; s.engineRequests = h.body.engine?.requests; }).catch((err) => { s.healthError = String(err); });
  };

  // Memory is sampled at quiet points: at each sample point the clients pause, the requests in
  // flight end (the gateway's in_flight reaches 0), the engine idles for a moment (it hands
  // freed memory back to the OS when idle), then VmRSS is read and the clients go on. Sampling
  // mid-traffic would measure whichever snapshot buffers and batches happen to be in flight.
  let gate = null;
  let active = 0;
  const quietSample = (at) => {
    let release;
    gate = new Promise((r) => { release = r; });
    sampling = sampling.then(async () => {
      while (active > 0) await sleep(10);
      for (let k = 0; k < 400; k++) {
        const h = await healthOf(gw).catch(() => null);
        if (h?.body?.in_flight === 0) break;
        await sleep(25);
      }
      await sleep(QUIET_MS);
      sample(at);
      await lastHealth;
    }).finally(() => { gate = null; release(); });
  };

  async function worker(w) {
    const c = clients[w];
    for (;;) {
      while (gate) await gate;
      const i = issued++;
      if (i >= N || died) return;
      const { kind, body } = c.next();
      const plan = planRng[w]() < P_DISC ? planDisconnect(planRng[w]) : null;
      active++;
      const res = await send(gw, body, plan).finally(() => { active--; });
      c.after(kind, body, res);
      results[i] = { i, w, kind, plan, outcome: res.outcome, status: res.status, ttftMs: res.ttftMs, headersMs: res.headersMs, startMs: res.startMs, totalMs: res.totalMs, disconnectedAt: res.disconnectedAt, promptTokens: res.promptTokens, usage: res.usage, stopReason: res.stopReason, error: res.error, messages: body.messages.length };
      if (res.outcome === 'failure') {
        failures.push({ i, w, kind, plan, error: res.error, status: res.status, events: res.events.map((e) => e.event), raw: (res.raw ?? '').slice(0, 4000), messages: body.messages.length });
        if (failures.length <= 3) console.log(`FAILURE #${failures.length} (request ${i}, ${kind}, worker ${w}): ${res.error}`);
      }
      done++;
      if (done % EVERY === 0 || done === RSS_BASE || done === N) quietSample(done);
      const now = performance.now();
      if (now - lastPrint > 15000 || done === N) {
        lastPrint = now;
        const s = samples.at(-1);
        console.log(`  ${done}/${N} done, ${((now - tStart) / 1000).toFixed(0)} s, ${failures.length} failure(s), RSS ${mb(rssKb(gw.pid).rss)}${s ? ` (last sample at ${s.at})` : ''}`);
      }
    }
  }
  await Promise.all(Array.from({ length: CONC }, (_, w) => worker(w)));
  const wallS = (performance.now() - tStart) / 1000;
  await sampling;

  // ---- after the run: the server still answers, counters add up, nothing stuck, clean exit.
  if (died) {
    const logs = gw.proc.stderr() + gw.proc.stdout();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const outFile = path.resolve(REPO, opt.out ?? `bench/results/soak-${stamp}.json`);
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, JSON.stringify({ when: new Date().toISOString(), settings, died, failures, results: results.filter(Boolean), samples, gatewayLog: logs.slice(-200000) }, null, 1));
    console.log(`\nthe gateway died after ${done} request(s); ${failures.length} failure(s). written: ${path.relative(process.cwd(), outFile)}`);
    fs.writeFileSync(path.join(scratch, 'gateway.log'), logs);
    console.log(`scratch folder kept: ${scratch}`);
    process.exit(1);
  }
  const checks = [];
  const check = (name, ok, detail) => { checks.push({ name, ok: !!ok, detail }); };
  // Cancelled jobs are freed at the engine's next step: give in_flight a moment to drain.
  let h = null;
  const drainStart = performance.now();
  for (;;) {
    try { h = await healthOf(gw); } catch (err) { h = { status: 0, error: String(err) }; }
    if (h.status !== 200 || h.body.in_flight === 0 || performance.now() - drainStart > 10000) break;
    await sleep(100);
  }
  check('/health answers 200 after the run', h.status === 200, h.status === 200 ? h.body.status : h.error);
  const eng = h.body?.engine;
  check('no request left in flight (in_flight 0)', h.body?.in_flight === 0, `in_flight ${h.body?.in_flight}, gateway requests ${h.body?.requests}`);
  const all = results.filter(Boolean);
  const ok = all.filter((r) => r.outcome === 'ok');
  const disc = all.filter((r) => r.outcome === 'disconnect');
  const fail = all.filter((r) => r.outcome === 'failure');
  const generated = ok.reduce((a, r) => a + (r.usage?.output_tokens ?? 0), 0);
  if (eng) {
    // Every completed request went through the engine; a disconnect before admission may not have.
    check('engine requests between completed and sent', eng.requests >= ok.length && eng.requests <= all.length, `engine requests ${eng.requests}, completed ${ok.length}, sent ${all.length}`);
    check('engine cancellations <= intended disconnects', eng.cancelled <= disc.length, `cancelled ${eng.cancelled}, disconnects ${disc.length}`);
    check('engine generated >= output_tokens reported to clients', eng.generated_tokens >= generated, `engine ${eng.generated_tokens}, clients ${generated}`);
    // computed_tokens grows chunk by chunk: a prefill cut short by a disconnect leaves the rest of
    // its prompt neither reused nor computed.
    const uncomputed = eng.prompt_tokens - eng.reused_tokens - eng.computed_tokens;
    check('engine reused + computed <= prompt tokens', uncomputed >= 0 && (uncomputed === 0 || eng.cancelled > 0), `${eng.prompt_tokens} prompt = ${eng.reused_tokens} reused + ${eng.computed_tokens} computed + ${uncomputed} left by cancelled prefills`);
    check(`RAM tier within its budget (${RAM_MB} MiB)`, eng.cache.ram_bytes <= RAM_MB * 1048576, `${(eng.cache.ram_bytes / 1048576).toFixed(1)} MiB in ${eng.cache.ram_snapshots} snapshot(s)`);
    check(`disk tier within its budget (${DISK_MB} MiB)`, eng.cache.disk_bytes <= DISK_MB * 1048576, `${(eng.cache.disk_bytes / 1048576).toFixed(1)} MiB in ${eng.cache.disk_files} file(s)`);
  }
  // No sequence stuck: a burst of `parallel` fresh requests (each a new prompt) must all be
  // admitted and finish promptly; a sequence held by a dead job would leave one queued.
  const probeClients = Array.from({ length: PARALLEL }, (_, w) => new Client(1000 + w));
  const tProbe = performance.now();
  const probe = await Promise.all(probeClients.map((c) => send(gw, c.first(), null)));
  const probeS = (performance.now() - tProbe) / 1000;
  check(`${PARALLEL} concurrent new conversations complete after the run (no stuck sequence)`, probe.every((p) => p.outcome === 'ok'), `${probe.filter((p) => p.outcome === 'ok').length}/${PARALLEL} ok in ${probeS.toFixed(1)} s${probe.find((p) => p.outcome !== 'ok') ? `; ${probe.find((p) => p.outcome !== 'ok').error}` : ''}`);
  let hAfter = null;
  try { hAfter = (await healthOf(gw)).body; } catch { /* reported below */ }
  const rssEnd = rssKb(gw.pid);
  const fdsEnd = openFds(gw.pid);
  agent.destroy();
  stopping = true;
  const tStop = performance.now();
  const exit = await gw.proc.stop(30000);
  const stopS = (performance.now() - tStop) / 1000;
  check('exits 0 on SIGTERM', exit.code === 0 && exit.signal === null, `code ${exit.code}, signal ${exit.signal}, after ${stopS.toFixed(1)} s`);
  const logs = gw.proc.stderr() + gw.proc.stdout();
  const sanitizer = /AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault|terminate called|Assertion .* failed/.exec(logs);
  check('no crash, assertion or sanitizer report in the log', !sanitizer, sanitizer ? sanitizer[0] : 'none');
  // The gateway's warning/error lines, grouped by message (numbers blanked).
  const logLines = logs.split('\n');
  const byLevel = {};
  for (const line of logLines) {
    const m = /^\S+ \S+ (warning|error|critical) (.*)$/.exec(line);
    if (!m) continue;
    const key = `${m[1]}: ${m[2].replace(/\d+/g, 'N').slice(0, 160)}`;
    byLevel[key] = (byLevel[key] ?? 0) + 1;
  }

  // ---- figures.
  const ttft = ok.map((r) => r.ttftMs).filter((v) => v !== null).sort((a, b) => a - b);
  const hdrs = ok.map((r) => r.headersMs).filter((v) => v !== null).sort((a, b) => a - b);
  const total = ok.map((r) => r.totalMs).sort((a, b) => a - b);
  const base = samples.find((s) => s.at === RSS_BASE);
  const last = samples.find((s) => s.at === N);
  const growthPct = base && last ? ((last.rssKb - base.rssKb) / base.rssKb) * 100 : null;
  // The same without the RAM tier's snapshots (prompt cache memory the budget allows by design).
  const lessTier = (x) => x.rssKb - (x.cache?.ram_bytes ?? 0) / 1024;
  const growthLessTierPct = base?.cache && last?.cache ? ((lessTier(last) - lessTier(base)) / lessTier(base)) * 100 : null;
  // ... and without the KV buffer's pages first touched since (llama.cpp's memory, not ours).
  const lessTierKv = (x) => lessTier(x) - (x.kv?.rssKb ?? 0);
  const growthLessTierKvPct = base?.kv && last?.kv && base?.cache && last?.cache ? ((lessTierKv(last) - lessTierKv(base)) / lessTierKv(base)) * 100 : null;
  const kinds = {};
  for (const r of all) {
    const k = (kinds[r.kind] ??= { sent: 0, ok: 0, disconnect: 0, failure: 0, ttft: [] });
    k.sent++;
    k[r.outcome]++;
    if (r.outcome === 'ok' && r.ttftMs !== null) k.ttft.push(r.ttftMs);
  }
  const points = {};
  for (const r of disc) { const p = r.plan?.point ?? 'unplanned'; points[p] = (points[p] ?? 0) + 1; }
  const plannedCompleted = ok.filter((r) => r.plan).length;
  const stopReasons = {};
  for (const r of ok) stopReasons[r.stopReason] = (stopReasons[r.stopReason] ?? 0) + 1;
  const noTokens = ok.filter((r) => r.ttftMs === null).length;
  const promptSorted = ok.map((r) => r.promptTokens).filter(Boolean).sort((a, b) => a - b);

  const failOk = fail.length === 0;
  const rssOk = growthPct !== null && growthPct <= 5;
  const checksOk = checks.every((c) => c.ok);

  const line = (k, v) => console.log(`  ${k.padEnd(46)} ${v}`);
  console.log('\n=== soak results ===');
  line('requests sent', `${all.length} (${CONC} at a time), wall ${wallS.toFixed(1)} s, ${(all.length / wallS).toFixed(2)} req/s`);
  line('completed', `${ok.length} (of which ${plannedCompleted} planned disconnects that ended before their point)`);
  line('intended disconnects', `${disc.length} (${Object.entries(points).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  line('failures (other than intended disconnects)', `${fail.length}   target 0: ${failOk ? 'PASS' : 'MISS'}`);
  line('time to first token, completed (p50/p90/p99/max)', `${ms(pct(ttft, 50))} / ${ms(pct(ttft, 90))} / ${ms(pct(ttft, 99))} / ${ms(ttft.at(-1))}  (n=${ttft.length}${noTokens ? `, ${noTokens} without a content delta` : ''})`);
  line('time to response headers (p50/p99)', `${ms(pct(hdrs, 50))} / ${ms(pct(hdrs, 99))}`);
  line('request duration (p50/p99/max)', `${ms(pct(total, 50))} / ${ms(pct(total, 99))} / ${ms(total.at(-1))}`);
  line('prompt tokens per request (p50/max)', `${pct(promptSorted, 50) ?? '-'} / ${promptSorted.at(-1) ?? '-'}`);
  line('stop reasons', Object.entries(stopReasons).map(([k, v]) => `${k} ${v}`).join(', '));
  for (const [k, v] of Object.entries(kinds)) {
    const t = v.ttft.sort((a, b) => a - b);
    line(`  ${k}`, `${v.sent} sent, ${v.ok} ok, ${v.disconnect} disconnected, ${v.failure} failed; TTFT p50 ${ms(pct(t, 50))}, p99 ${ms(pct(t, 99))}`);
  }
  line(`RSS after request ${RSS_BASE} -> ${N}`, base && last ? `${mb(base.rssKb)} -> ${mb(last.rssKb)}: ${growthPct >= 0 ? '+' : ''}${growthPct.toFixed(2)}%   target <= 5%: ${rssOk ? 'PASS' : 'MISS'}` : 'not sampled');
  if (growthLessTierPct !== null) line('  the same less the RAM tier', `${mb(lessTier(base))} -> ${mb(lessTier(last))}: ${growthLessTierPct >= 0 ? '+' : ''}${growthLessTierPct.toFixed(2)}%`);
  if (growthLessTierKvPct !== null) line('  the same less the KV buffer too', `${mb(lessTierKv(base))} -> ${mb(lessTierKv(last))}: ${growthLessTierKvPct >= 0 ? '+' : ''}${growthLessTierKvPct.toFixed(2)}% (KV buffer resident ${mb(base.kv.rssKb)} -> ${mb(last.kv.rssKb)} of ${mb(last.kv.sizeKb)})`);
  if (base?.heap && last?.heap) {
    const h0 = base.heap.heap_in_use_bytes, h1 = last.heap.heap_in_use_bytes;
    line('  heap in use (live allocations)', `${mb(h0 / 1024)} -> ${mb(h1 / 1024)}: ${h1 >= h0 ? '+' : ''}${mb((h1 - h0) / 1024)}; held free by the allocator ${mb(base.heap.heap_free_held_bytes / 1024)} -> ${mb(last.heap.heap_free_held_bytes / 1024)}`);
  }
  line('RSS series (after request N: RSS, RAM tier)', '');
  for (const s of samples) {
    console.log(`      ${String(s.at).padStart(6)}  ${mb(s.rssKb).padStart(10)} (anon ${mb(s.anonKb)} of which KV buffer ${s.kv ? mb(s.kv.rssKb) : '?'}, file ${mb(s.fileKb)})  RAM tier ${s.cache ? `${(s.cache.ram_bytes / 1048576).toFixed(1)} MiB/${s.cache.ram_snapshots}` : '?'}  disk ${s.cache ? `${(s.cache.disk_bytes / 1048576).toFixed(1)} MiB/${s.cache.disk_files}` : '?'}  fds ${s.fds}  threads ${s.threads}${s.heap ? `  heap in use ${mb(s.heap.heap_in_use_bytes / 1024)}, free held ${mb(s.heap.heap_free_held_bytes / 1024)}` : ''}`);
  }
  line('RSS after the probe / peak (VmHWM)', `${mb(rssEnd.rss)} / ${mb(rssEnd.hwm)}; open fds ${fdsEnd}`);
  if (eng) {
    line('engine counters', `requests ${eng.requests}, cancelled ${eng.cancelled}, prompt ${eng.prompt_tokens}, reused ${eng.reused_tokens} (${((eng.reused_tokens / Math.max(1, eng.prompt_tokens)) * 100).toFixed(1)}%), computed ${eng.computed_tokens}, generated ${eng.generated_tokens}`);
    line('reused from / snapshots', `live ${eng.reused_from.live}, ram ${eng.reused_from.ram}, disk ${eng.reused_from.disk}; snapshots ${eng.snapshots_taken}; cache ${JSON.stringify(eng.cache)}`);
  }
  console.log('  checks after the run:');
  for (const c of checks) console.log(`    [${c.ok ? 'ok' : 'FAIL'}] ${c.name}: ${c.detail}`);
  const logSummary = Object.entries(byLevel).sort((a, b) => b[1] - a[1]);
  if (logSummary.length) {
    console.log('  gateway warnings/errors in the log (count, message with numbers blanked):');
    for (const [k, v] of logSummary.slice(0, 12)) console.log(`    ${String(v).padStart(5)}  ${k}`);
  }
  if (fail.length) {
    console.log(`\n=== first ${Math.min(3, failures.length)} failure(s) in full ===`);
    for (const f of failures.slice(0, 3)) console.log(JSON.stringify(f, null, 1));
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = path.resolve(REPO, opt.out ?? `bench/results/soak-${stamp}.json`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const summary = {
    requests: all.length, completed: ok.length, disconnects: disc.length, disconnectPoints: points, plannedButCompleted: plannedCompleted,
    failures: fail.length, failuresTarget: 0, failuresPass: failOk,
    wallS, reqPerS: all.length / wallS,
    ttftMs: { n: ttft.length, p50: pct(ttft, 50), p90: pct(ttft, 90), p99: pct(ttft, 99), max: ttft.at(-1) ?? null },
    headersMs: { p50: pct(hdrs, 50), p99: pct(hdrs, 99) }, durationMs: { p50: pct(total, 50), p99: pct(total, 99), max: total.at(-1) ?? null },
    rss: { baseAt: RSS_BASE, baseKb: base?.rssKb ?? null, endAt: N, endKb: last?.rssKb ?? null, growthPct, growthLessRamTierPct: growthLessTierPct, growthLessRamTierAndKvPct: growthLessTierKvPct, targetPct: 5, pass: rssOk, afterProbeKb: rssEnd.rss, peakKb: rssEnd.hwm },
    byKind: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, { sent: v.sent, ok: v.ok, disconnect: v.disconnect, failure: v.failure, ttftP50: pct(v.ttft, 50), ttftP99: pct(v.ttft, 99) }])),
    stopReasons, checksPass: checksOk,
  };
  const report = { when: new Date().toISOString(), settings, summary, samples, engineAfterRun: eng ?? null, healthAfterProbe: hAfter, checks, gatewayLogWarnings: Object.fromEntries(logSummary), failures, results: all, gatewayLogTail: logs.slice(-20000) };
  fs.writeFileSync(outFile, JSON.stringify(report, null, 1));
  console.log(`\nwritten: ${path.relative(process.cwd(), outFile)}`);
  if (opt.keep) { fs.writeFileSync(path.join(scratch, 'gateway.log'), logs); console.log(`kept: ${scratch}`); } else fs.rmSync(scratch, { recursive: true, force: true });
  process.exitCode = failOk && rssOk && checksOk ? 0 : 1;
}

main().catch((err) => { console.error(err); process.exit(2); });
