// Prompt-cache stability: Claude Code's captured requests are replayed to the gateway with
// Claude Code's headers, and the upstream bodies it sends must keep a byte-identical prefix
// from turn to turn (system + tools + every message the turns share), must not carry the
// billing-header line, and must keep the environment system message where the client put it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './scripted_backend.mjs';
import { startPair } from './lib/gateway.mjs';
import { readFixture } from './lib/paths.mjs';
import { postSse } from './lib/sse.mjs';
import { scan, member, commonPrefix } from './lib/json_spans.mjs';

const HEADERS = {
  'anthropic-version': '2023-06-01',
  'x-api-key': 'any',
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,effort-2025-11-24',
  'x-claude-code-session-id': '00000000-0000-4000-8000-000000000000',
  'x-app': 'cli',
  'user-agent': 'claude-cli/2.1.328 (external, sdk-cli)',
  'anthropic-dangerous-direct-browser-access': 'true',
};

let pair;
before(async () => { pair = await startPair(start, { model: 'main-model', smallModel: 'small-model' }); });
after(async () => { await pair?.stop(); });

const fixture = (name) => JSON.parse(readFixture(name));
const textOf = (c) => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join(''));
// A message as the model sees it: cache_control dropped, a lone text block same as a string.
function norm(m) {
  const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }]
    : m.content.map(({ cache_control, ...b }) => b);
  return JSON.stringify({ role: m.role, blocks });
}
function sharedMessages(a, b) {
  let k = 0;
  while (k < a.messages.length && k < b.messages.length && norm(a.messages[k]) === norm(b.messages[k])) k++;
  return k;
}

// Sends each request as Claude Code does (compact JSON, ?beta=true) and returns the upstream bodies.
async function replay(requests) {
  pair.backend.reset();
  for (const req of requests) {
    const r = await postSse(`${pair.gw.url}/v1/messages?beta=true`, JSON.stringify(req), HEADERS, 20000);
    assert.equal(r.status, 200, `gateway answered ${r.status}: ${r.text.slice(0, 500)}\n${pair.gw.logs().slice(-3000)}`);
    assert.equal(r.events.at(-1)?.event, 'message_stop', `stream ended with ${JSON.stringify(r.events.at(-1))}`);
  }
  const bodies = pair.backend.requests().map((r) => r.body);
  assert.equal(bodies.length, requests.length, 'one upstream request per client request');
  return bodies;
}

// Checks one upstream body against its client request.
function checkBody(raw, req) {
  assert.ok(!raw.includes('x-anthropic-billing-header'), 'billing-header line removed');
  const up = JSON.parse(raw);
  assert.equal(up.messages[0].role, 'system');
  const sys = textOf(up.messages[0].content);
  let at = 0;
  for (const block of req.system.slice(1)) {
    const j = sys.indexOf(block.text, at);
    assert.ok(j >= 0, 'system blocks after the billing line are kept, in order');
    at = j + block.text.length;
  }
  const roles = up.messages.map((m) => m.role);
  assert.equal(roles[2], 'system', `environment message stays second among the client's messages: ${roles.join(',')}`);
  assert.equal(textOf(up.messages[2].content), textOf(req.messages[1].content));
  assert.equal(roles.lastIndexOf('system', 1), 0, 'nothing else hoisted next to the system prompt');
  const names = up.tools.map((t) => t.function.name);
  const all = req.tools.map((t) => t.name);
  const eager = req.tools.filter((t) => !t.defer_loading).map((t) => t.name);
  assert.ok(JSON.stringify(names) === JSON.stringify(all) || JSON.stringify(names) === JSON.stringify(eager),
    `tools keep the client's order (deferred ones may be left out): ${names.join(',')}`);
}

// Checks that body b starts with body a's bytes through everything the two turns share.
function checkPrefix(rawA, rawB, reqA, reqB, label) {
  const k = sharedMessages(reqA, reqB);
  const a = scan(rawA);
  const b = scan(rawB);
  const msgsA = member(a, 'messages');
  const upstreamShared = 1 + k; // the system message, then one upstream message per shared text message
  const mustCover = msgsA.items[upstreamShared - 1].end;
  const lcp = commonPrefix(rawA, rawB);
  const bufA = Buffer.from(rawA);
  assert.ok(lcp >= mustCover,
    `${label}: common prefix is ${lcp} bytes, must reach ${mustCover} (system + ${k} shared message(s)); ` +
    `diverges at ...${bufA.subarray(Math.max(0, lcp - 80), lcp)}<<HERE>>${bufA.subarray(lcp, lcp + 80)}... ` +
    `vs ...<<HERE>>${Buffer.from(rawB).subarray(lcp, lcp + 80)}...`);
  const toolsA = member(a, 'tools');
  const toolsB = member(b, 'tools');
  assert.ok(toolsA && toolsB, 'both bodies carry tools');
  assert.ok(Buffer.from(rawA).subarray(toolsA.start, toolsA.end).equals(Buffer.from(rawB).subarray(toolsB.start, toolsB.end)),
    `${label}: tools are byte-identical`);
  return { k, lcp, mustCover };
}

test('captured turns (first -> followup -> tool result) keep a byte-identical upstream prefix', { timeout: 60000 }, async () => {
  const reqs = ['capture-first.json', 'capture-followup.json', 'capture-toolresult-followup.json'].map(fixture);
  const bodies = await replay(reqs);
  bodies.forEach((raw, i) => checkBody(raw, reqs[i]));
  const p1 = checkPrefix(bodies[0], bodies[1], reqs[0], reqs[1], 'first -> followup');
  assert.equal(p1.k, 1, 'the fixtures share their first user message');
  checkPrefix(bodies[1], bodies[2], reqs[1], reqs[2], 'followup -> tool result');
  const up = JSON.parse(bodies[2]);
  const call = up.messages.find((m) => m.role === 'assistant')?.tool_calls?.[0];
  assert.equal(call?.function.arguments, JSON.stringify(reqs[2].messages[2].content[0].input), 'tool input spliced byte for byte');
  const tool = up.messages.find((m) => m.role === 'tool');
  assert.equal(tool?.tool_call_id, call.id);
  assert.equal(textOf(tool.content), reqs[2].messages[3].content[0].content);
});

test('one session (as Claude Code sends it) keeps the whole first turn as the prefix of the next', { timeout: 60000 }, async () => {
  const first = fixture('capture-first.json');
  const followup = fixture('capture-followup.json');
  const toolTurn = fixture('capture-toolresult-followup.json');
  // Turn 2 of the same session: turn 1's messages, the environment block now a plain string.
  const t2 = { ...followup, messages: [first.messages[0], { role: 'system', content: textOf(first.messages[1].content) }, ...followup.messages.slice(2)] };
  // Turn 3: turn 2's messages (cache marker moved off the last one), then a tool call and its result.
  const [u3] = t2.messages.slice(-1);
  const t3 = { ...toolTurn, messages: [...t2.messages.slice(0, -1), { ...u3, content: u3.content.map(({ cache_control, ...b }) => b) }, ...toolTurn.messages.slice(2)] };
  const reqs = [first, t2, t3];
  const bodies = await replay(reqs);
  bodies.forEach((raw, i) => checkBody(raw, reqs[i]));
  const p12 = checkPrefix(bodies[0], bodies[1], first, t2, 'turn 1 -> turn 2');
  assert.equal(p12.k, first.messages.length, 'turn 2 repeats all of turn 1');
  const p23 = checkPrefix(bodies[1], bodies[2], t2, t3, 'turn 2 -> turn 3');
  assert.equal(p23.k, t2.messages.length);
});

test('the same request twice gives byte-identical upstream bodies', { timeout: 60000 }, async () => {
  const req = fixture('capture-interactive-first.json');
  const [a, b] = await replay([req, req]);
  assert.equal(a, b);
  checkBody(a, req);
});
