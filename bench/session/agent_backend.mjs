// The scripted agent: an OpenAI-compatible chat/completions server (no model) that decides each
// reply from the request, so that real Claude Code, through `anyclaude serve --mode openai`, runs
// a realistic coding session on a small real repository (agent_repo.mjs):
//   prompt A  main: three Agent calls in one message (subagents run in parallel), then, when
//             their reports are in, Read, Edit, Bash (the repository's tests), a summary;
//             each subagent: Glob, Grep, Read, then its report;
//   prompt B  (`-p ... --continue`) main: Bash (grep), Read, Edit, Bash (tests), a summary.
//   side      requests without tools (session title, ...): a short JSON or text answer;
//   compaction (the summary instruction): a summary.
// The reply depends only on the request (its prompt marker, how many tool rounds it already
// holds, the tool results it carries), so a run is deterministic up to Claude Code's own timing.
//
//   node bench/session/agent_backend.mjs --repo DIR [--port 0] [--log FILE] [--latency-ms N] -> "LISTENING <port>"
//   import { startAgent } from './agent_backend.mjs'
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { normalize, streamFrames } from '../../tests/e2e/lib/openai_frames.mjs';
import { PROMPTS, mainPlan, subagentPlan } from './agent_plan.mjs';

const textOf = (c) => (typeof c === 'string' ? c : (c ?? []).map((p) => p?.text ?? '').join(''));

// What kind of request this is, and the part of the conversation the plan looks at.
export function classify(req) {
  const msgs = req.messages ?? [];
  const tools = (req.tools ?? []).map((t) => t.function?.name ?? t.name);
  const all = msgs.map((m) => textOf(m.content)).join('\n');
  // Claude Code's compaction instruction (../shared/research/claude-code-compaction.md section 6).
  if (/Respond with TEXT ONLY|an <analysis> block followed by a <summary> block/.test(textOf(msgs.at(-1)?.content)))
    return { kind: 'compaction' };
  if (tools.length === 0) return { kind: 'side', all };
  const sub = /\[sub (\d)\]/.exec(msgs.filter((m) => m.role === 'user').map((m) => textOf(m.content))[0] ?? '');
  if (sub) return { kind: 'subagent', n: Number(sub[1]), msgs, tools };
  // The main agent: the last user prompt that carries a task marker starts the current plan.
  let start = -1;
  let task = null;
  msgs.forEach((m, i) => {
    const t = m.role === 'user' ? textOf(m.content) : '';
    for (const [k, p] of Object.entries(PROMPTS)) if (t.includes(p.marker)) { start = i; task = k; }
  });
  return { kind: 'main', task, msgs: msgs.slice(start + 1), tools, all };
}

// The reply spec (openai_frames.mjs shapes) for a request.
export function decide(req, repo) {
  const c = classify(req);
  if (c.kind === 'compaction') return { kind: 'text', text: '<summary>The session so far: the greeting module was fixed and its tests pass.</summary>' };
  if (c.kind === 'side') {
    const wantsJson = req.response_format?.type === 'json_schema' || /json/i.test(c.all.slice(-400));
    return { kind: 'text', text: wantsJson ? '{"title": "Fix the greeting"}' : 'Fix the greeting' };
  }
  const step = c.kind === 'subagent' ? subagentPlan(c.n, repo, c.msgs, c.tools) : mainPlan(c.task, repo, c.msgs, c.all);
  return step.calls ? { kind: 'tool_calls', calls: step.calls, content: step.text ? [step.text] : undefined } : { kind: 'text', text: step.text };
}

const readBody = (req) => new Promise((resolve, reject) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
  req.on('error', reject);
});

// Starts the agent on a free port. opts: {repo, port, log (file: one JSON line per request),
// delayMs (between frames)}.
// latencyMs: a pause before each answer (a model's prefill), so that Claude Code's concurrent
// requests overlap as they do against a real model.
export async function startAgent({ repo, port = 0, log = null, delayMs = 0, latencyMs = 0 } = {}) {
  let seq = 0;
  const server = http.createServer(async (req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    const body = await readBody(req);
    if (req.method === 'GET' && /\/models$/.test(p)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ object: 'list', data: [{ id: 'agent-model', object: 'model', owned_by: 'agent' }] }));
    }
    if (req.method !== 'POST' || !/chat\/completions$/.test(p)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: `no route ${req.method} ${p}` } }));
    }
    const reqJson = JSON.parse(body);
    const spec = normalize(decide(reqJson, repo));
    const n = ++seq;
    if (log) fs.appendFileSync(log, `${JSON.stringify({ seq: n, t: Date.now(), kind: classify(reqJson).kind, reply: spec.kind === 'tool_calls' ? spec.tool_calls.map((x) => x.name) : spec.content?.join('').slice(0, 80), request: reqJson })}\n`);
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    const ctx = { id: `chatcmpl-${n}`, created: Math.floor(Date.now() / 1000), model: reqJson.model ?? 'agent-model' };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const f of streamFrames(spec, reqJson, ctx)) {
      res.write(f.raw ?? `data: ${f.data}\n\n`);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
    res.end();
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = server.address().port;
  return { port: actual, url: `http://127.0.0.1:${actual}/v1`, requests: () => seq, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
  const a = await startAgent({ repo: path.resolve(arg('--repo', '.')), port: Number(arg('--port', '0')), log: arg('--log', null), latencyMs: Number(arg('--latency-ms', '0')) });
  process.stdout.write(`LISTENING ${a.port}\n`);
  const stop = () => a.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
