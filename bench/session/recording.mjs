// Reads a folder written by `anyclaude serve --record DIR` (src/app/recorder.hpp has the format):
// index.jsonl + requests/NNNNNN.json (or .json.gz, as committed under recordings/). Gives each
// request its kind, its dependencies for replay, and its body with max_tokens capped.
//
// Replay order: a request starts after every earlier request (by arrival) that was no longer in
// flight when it arrived has finished; those still in flight may overlap it, as they did.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { scan, member } from '../../tests/e2e/lib/json_spans.mjs';

const textOf = (c) => (typeof c === 'string' ? c : (c ?? []).map((p) => p?.text ?? '').join(''));

// main | subagent | side | compaction | count_tokens | other (a request that is not a message).
// subagent: Claude Code marks them with x-claude-code-agent-id and cc_is_subagent=true in the
// billing line; side: no tools and one message (session title, ...); compaction: the last user
// text is Claude Code's summary instruction (../shared/research/claude-code-compaction.md).
export function classify(entry, json) {
  if (entry.target.includes('/count_tokens')) return 'count_tokens';
  if (!entry.target.startsWith('/v1/messages') || !json) return 'other';
  const system = textOf(json.system);
  if (entry.headers['x-claude-code-agent-id'] || system.includes('cc_is_subagent=true')) return 'subagent';
  const tools = json.tools ?? [];
  const msgs = json.messages ?? [];
  if (tools.length === 0 && msgs.length === 1) return 'side';
  if (/Respond with TEXT ONLY|an <analysis> block followed by a <summary> block/.test(textOf(msgs.at(-1)?.content))) return 'compaction';
  return 'main';
}

function readBody(dir, file) {
  const p = path.join(dir, file);
  if (fs.existsSync(p)) return fs.readFileSync(p);
  if (fs.existsSync(`${p}.gz`)) return zlib.gunzipSync(fs.readFileSync(`${p}.gz`));
  throw new Error(`recording ${dir}: ${file} is missing`);
}

// {name, dir, requests: [{...index line, body (Buffer), json, kind, deps: [seq]}]} in arrival order.
export function loadRecording(dir) {
  const lines = fs.readFileSync(path.join(dir, 'index.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  lines.sort((a, b) => a.seq - b.seq);
  const requests = lines.map((e) => {
    const body = readBody(dir, e.file);
    let json = null;
    try { json = JSON.parse(body.toString('utf8')); } catch { /* replayed as it is */ }
    return { ...e, body, json, kind: classify(e, json) };
  });
  for (const [i, r] of requests.entries()) {
    const overlapped = new Set(r.in_flight);
    r.deps = requests.slice(0, i).map((x) => x.seq).filter((s) => !overlapped.has(s));
  }
  return { name: path.basename(path.resolve(dir)), dir, requests };
}

// The body with its top-level max_tokens lowered to cap (bytes otherwise unchanged); the body
// itself when there is no cap, no max_tokens, or it is already lower.
export function capMaxTokens(body, cap) {
  if (!cap) return body;
  let root;
  try { root = scan(body); } catch { return body; }
  const v = member(root, 'max_tokens');
  const text = v?.type === 'literal' ? body.subarray(v.start, v.end).toString() : '';
  if (!/^\d+$/.test(text) || Number(text) <= cap) return body;
  return Buffer.concat([body.subarray(0, v.start), Buffer.from(String(cap)), body.subarray(v.end)]);
}

// Headers to send again: the recorded ones but those that describe one connection or body.
const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'accept-encoding', 'keep-alive']);
export function replayHeaders(entry) {
  return Object.fromEntries(Object.entries(entry.headers).filter(([k]) => !HOP.has(k)));
}
