// Recorded Claude Code sessions (issue 10): real Claude Code 2.1.328 runs the scripted agent's
// session (bench/session/agent_backend.mjs: three parallel subagents, read/edit/run, then a
// --continue prompt) through `anyclaude serve --record`; the recording replays byte for byte in
// its recorded order and overlap (bench/session/replay.mjs); --record-redact keeps every body
// valid JSON within 5% of its real token count (the tiny model's Qwen tokenizer, through the
// embedded engine's count_tokens: the template-rendered prompt, exact).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gatewayBin, CLAUDE_BIN } from './lib/paths.mjs';
import { scratchDir, removeDir } from './lib/procs.mjs';
import { start as startScripted } from './scripted_backend.mjs';
import { makeTinyModel, startEmbedded, countTokens } from './lib/embedded.mjs';
import { recordSession, startRecordingGateway } from '../../bench/session/record.mjs';
import { loadRecording, replayHeaders } from '../../bench/session/recording.mjs';
import { replayRecording } from '../../bench/session/replay.mjs';

let dir;
let rec;  // the session recorded by the first test
before(() => { dir = scratchDir('record-replay'); });
after(() => removeDir(dir));

const SESSION_TIMEOUT_MS = 90000;

test('the scripted agent drives real Claude Code through subagents, an edit, a test run and a --continue prompt; every request is recorded', { timeout: SESSION_TIMEOUT_MS + 30000 }, async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `claude CLI not found at ${CLAUDE_BIN} (run npm install)`);
  const repo = path.join(dir, 'repo');
  const recDir = path.join(dir, 'rec');
  // 150 ms per answer: long enough for Claude Code's subagents to overlap, short enough to finish in seconds.
  const r = await recordSession({ bin: gatewayBin(), recDir, prompts: ['A', 'B'], repoDir: repo, latencyMs: 150, timeoutMs: SESSION_TIMEOUT_MS / 2 });
  const describe = () => r.runs.map((x) => `prompt ${x.prompt}: exit ${x.code}${x.timedOut ? ' TIMED OUT' : ''}\n${x.stdout}\n${x.stderr.slice(-2000)}`).join('\n') + `\n--- gateway ---\n${r.gatewayLog.slice(-3000)}`;
  assert.deepEqual(r.runs.map((x) => x.code), [0, 0], describe());
  assert.match(r.runs[0].stdout, /Fixed: greet\(\) now falls back to "world"/, describe());
  assert.match(r.runs[1].stdout, /Added farewell\(name\)/, describe());
  const src = fs.readFileSync(path.join(repo, 'src/greet.js'), 'utf8');
  assert.ok(src.includes("cleanName(name) || 'world'") && src.includes('function farewell'), `both edits landed:\n${src}`);

  rec = loadRecording(recDir);
  const kinds = (k) => rec.requests.filter((x) => x.kind === k);
  assert.ok(rec.requests.every((x) => x.status === 200 && x.complete), `every answer complete: ${JSON.stringify(rec.requests.map((x) => [x.seq, x.status, x.error]))}`);
  const agents = new Set(kinds('subagent').map((x) => x.headers['x-claude-code-agent-id']));
  assert.equal(agents.size, 3, 'three subagents, each with its own x-claude-code-agent-id');
  assert.ok(kinds('subagent').length >= 12, `each subagent ran Glob, Grep, Read and reported: ${kinds('subagent').length} requests`);
  assert.ok(rec.requests.some((x) => x.in_flight.length > 0), 'some requests overlapped others');
  assert.ok(rec.requests.some((x) => x.kind === 'main' && /# pass 5\\n# fail 0/.test(x.body.toString())), 'the tests ran (Bash) and passed, and Claude Code sent the result back');
  assert.ok(rec.requests.every((x) => !('x-api-key' in x.headers) && !('authorization' in x.headers)), 'no credentials recorded');
  assert.ok(rec.requests.every((x) => x.bytes === x.body.length), 'index sizes match the files');
});

// A /v1/messages target that keeps every request's bytes, headers and arrival/finish times,
// answering each after delayMs(body) with a one-word stream.
async function startCaptureTarget(delayMs) {
  const got = [];
  const server = http.createServer((req, res) => {
    const parts = [];
    const item = { arrived: performance.now(), finished: null, headers: req.headers, target: req.url };
    got.push(item);
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      item.body = Buffer.concat(parts);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const ev = (name, data) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
        res.end(ev('message_start', { message: { id: 'm', type: 'message', role: 'assistant', content: [], model: 'x', usage: { input_tokens: 1, output_tokens: 0 } } })
          + ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) + ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'ok' } })
          + ev('content_block_stop', { index: 0 }) + ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } }) + ev('message_stop', {}));
        item.finished = performance.now();
      }, delayMs(item.body));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, got, close: () => new Promise((r) => server.close(r)) };
}

test('a recording replays byte for byte, in its recorded order and overlap; --max-tokens changes max_tokens only', async (t) => {
  if (!rec) t.skip('needs the recorded session');
  // Later requests take longer (100 ms + 40 ms per seq): a request's overlap with an earlier one
  // then survives replay whenever everything it waited for arrived before that one.
  const seqOf = new Map(rec.requests.map((r) => [r.body.toString('latin1'), r.seq]));
  const target = await startCaptureTarget((body) => 100 + 40 * (seqOf.get(body.toString('latin1')) ?? 0));
  try {
    const res = await replayRecording(rec, target.url);
    assert.equal(target.got.length, rec.requests.length);
    assert.ok(res.rows.every((r) => r.status === 200 && r.complete), 'every replayed request answered');
    const bySeq = new Map(res.rows.map((r, i) => [r.seq, target.got.find((g) => g.body && Buffer.compare(g.body, rec.requests[i].body) === 0)]));
    let overlaps = 0;
    for (const r of rec.requests) {
      const g = bySeq.get(r.seq);
      assert.ok(g, `request ${r.seq} (${r.kind}) arrived byte for byte`);
      assert.equal(g.target, r.target);
      for (const h of ['anthropic-beta', 'anthropic-version', 'x-claude-code-session-id', 'x-claude-code-agent-id', 'user-agent'])
        assert.equal(g.headers[h], r.headers[h], `${r.seq}: header ${h}`);
      for (const d of r.deps) assert.ok(bySeq.get(d).finished <= g.arrived, `${r.seq} was sent after ${d}, which it followed, had finished`);
      const last = Math.max(0, ...r.in_flight);
      if (last > Math.max(0, ...r.deps)) {
        overlaps++;
        assert.ok(bySeq.get(last).finished > g.arrived, `${r.seq} overlapped ${last} as recorded`);
      }
    }
    assert.ok(overlaps >= 3 && res.maxInFlight >= 3, `overlap reproduced (${overlaps} requests checked, max ${res.maxInFlight} in flight)`);

    target.got.length = 0;
    await replayRecording(rec, target.url, { maxTokens: 32 });
    for (const r of rec.requests) {
      const sent = target.got.map((g) => JSON.parse(g.body)).find((j) => JSON.stringify({ ...j, max_tokens: 0 }) === JSON.stringify({ ...r.json, max_tokens: 0 }));
      assert.ok(sent, `${r.seq}: replayed with only max_tokens changed`);
      assert.equal(sent.max_tokens, Math.min(32, r.json.max_tokens));
    }
  } finally { await target.close(); }

  // The round trip: replayed into `anyclaude serve --record` again, the new recording's files are
  // the old ones, byte for byte, with the same headers.
  const backend = await startScripted({ port: 0 });
  backend.setDefault({ kind: 'text', text: 'ok' });
  const again = path.join(dir, 'again');
  const gw = await startRecordingGateway({ bin: gatewayBin(), backendUrl: backend.url, recDir: again, scratch: dir });
  try { await replayRecording(rec, gw.url); } finally { await gw.stop(); await backend.close(); }
  const rec2 = loadRecording(again);
  assert.equal(rec2.requests.length, rec.requests.length);
  // Requests sent at once (the subagents) may arrive in another order, so each recorded file is
  // matched to a re-recorded one with the same bytes (once each), not by its position: under ASan
  // the three subagents' requests arrived in another order than recorded.
  const unmatched = [...rec2.requests];
  for (const r of rec.requests) {
    const i = unmatched.findIndex((x) => Buffer.compare(x.body, r.body) === 0 && x.target === r.target);
    assert.ok(i >= 0, `${r.seq}: a re-recorded file is the recorded one, byte for byte`);
    assert.deepEqual(replayHeaders(unmatched[i]), replayHeaders(r), `${r.seq}: the same headers (but those of one connection)`);
    unmatched.splice(i, 1);
  }
});

test('--record-redact: every body stays valid JSON within 5% of its token count, with no file contents or repository paths', { timeout: 120000 }, async (t) => {
  if (!rec) t.skip('needs the recorded session');
  const backend = await startScripted({ port: 0 });
  backend.setDefault({ kind: 'text', text: 'ok' });
  const redDir = path.join(dir, 'redacted');
  const gw = await startRecordingGateway({ bin: gatewayBin(), backendUrl: backend.url, recDir: redDir, redact: true, scratch: dir });
  try {
    await replayRecording(rec, gw.url, { maxTokens: 8 });
  } finally { await gw.stop(); await backend.close(); }
  const red = loadRecording(redDir);
  assert.equal(red.requests.length, rec.requests.length);
  assert.ok(red.requests.every((x) => x.redacted && x.json), 'every redacted body is valid JSON');

  const model = await makeTinyModel(dir);
  const counter = await startEmbedded({ model, cacheDir: path.join(dir, 'kv'), ctxSize: 65536 });
  try {
    let worst = 0;
    for (const [i, r] of rec.requests.entries()) {
      const a = await countTokens(counter, r.json);
      const b = await countTokens(counter, red.requests[i].json);
      worst = Math.max(worst, Math.abs(b - a) / a);
      assert.ok(Math.abs(b - a) <= 0.05 * a, `${r.seq} (${r.kind}): ${a} tokens, redacted ${b}`);
    }
    t.diagnostic(`largest token-count change after redaction: ${(100 * worst).toFixed(2)}%`);
  } finally { await counter.stop(); }

  const repo = path.join(dir, 'repo');
  for (const x of red.requests) {
    const text = x.body.toString();
    assert.ok(!text.includes(repo), `${x.seq}: the repository path is gone`);
    assert.ok(!text.includes("require('./format')") && !text.includes('cleanName(name)'), `${x.seq}: file contents are gone`);
  }
});
