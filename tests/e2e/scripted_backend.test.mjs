// Tests of the scripted backend itself (no gateway needed): the OpenAI wire shapes it sends,
// its control endpoints, and the failure modes the gateway tests rely on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start } from './scripted_backend.mjs';
import { postSse } from './lib/sse.mjs';
import { REPO } from './lib/paths.mjs';
import { startProcess, waitFor } from './lib/procs.mjs';

let be;
before(async () => { be = await start({ port: 0 }); });
after(async () => { await be?.close(); });

const chat = (body, headers) => postSse(`${be.url}/chat/completions`, JSON.stringify(body), headers, 5000);
const deltas = (r) => r.events.filter((e) => e.json?.choices?.length).map((e) => e.json.choices[0]);

test('default answer streams text, usage only with include_usage, then [DONE]', async () => {
  be.reset();
  const r = await chat({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [] });
  assert.equal(r.status, 200);
  assert.equal(deltas(r).map((c) => c.delta.content ?? '').join(''), 'Hello from the scripted backend.');
  assert.equal(deltas(r).at(-1).finish_reason, 'stop');
  assert.ok(r.events.find((e) => e.json?.usage && e.json.choices.length === 0));
  assert.equal(r.events.at(-1).data, '[DONE]');
  const r2 = await chat({ model: 'm', stream: true, messages: [] });
  assert.ok(!r2.events.some((e) => e.json?.usage), 'no usage without include_usage');
});

test('records the exact request bytes and headers, readable over HTTP', async () => {
  be.reset();
  const raw = '{"model":"m",  "stream":true,"messages":[{"role":"user","content":"h\u00e9llo \\u00e9"}]}';
  await postSse(`${be.url}/chat/completions`, raw, { 'x-probe': 'yes' }, 5000);
  const recs = await (await fetch(`http://127.0.0.1:${be.port}/__requests`)).json();
  assert.equal(recs.length, 1);
  assert.equal(recs[0].body, raw);
  assert.equal(recs[0].bytes, Buffer.byteLength(raw));
  assert.equal(recs[0].headers['x-probe'], 'yes');
  assert.equal(recs[0].finished, true);
});

test('fragmented parallel tool calls reassemble to the scripted arguments', async () => {
  be.reset();
  const calls = [{ name: 'Read', arguments: { file_path: '/a.txt' } }, { name: 'Bash', arguments: { command: 'ls -la', description: 'list' } }];
  be.script([{ kind: 'tool_calls', calls, fragment_size: 3 }, { kind: 'tool_calls', calls, style: 'whole' }]);
  for (const style of ['fragments', 'whole']) {
    const r = await chat({ model: 'm', stream: true, messages: [] });
    const byIndex = new Map();
    let pieces = 0;
    for (const c of deltas(r)) {
      for (const tc of c.delta.tool_calls ?? []) {
        pieces++;
        const cur = byIndex.get(tc.index) ?? { name: '', args: '', id: '' };
        cur.name += tc.function?.name ?? '';
        cur.id += tc.id ?? '';
        cur.args += tc.function?.arguments ?? '';
        byIndex.set(tc.index, cur);
      }
    }
    assert.deepEqual([...byIndex.values()].map((c) => [c.name, JSON.parse(c.args)]), calls.map((c) => [c.name, c.arguments]), style);
    assert.ok(style === 'whole' ? pieces === 2 : pieces > 4, `${style}: ${pieces} pieces`);
    assert.equal(deltas(r).at(-1).finish_reason, 'tool_calls');
  }
});

test('text-printed tool calls are split across chunks', async () => {
  be.reset();
  be.script([
    { kind: 'text_tool_calls', format: 'hermes', calls: [{ name: 'Read', arguments: { file_path: '/x' } }], split: 4 },
    { kind: 'text_tool_calls', format: 'qwen3-coder', calls: [{ name: 'Read', arguments: { file_path: '/x', limit: 5 } }], split: 4 },
  ]);
  const h = deltas(await chat({ model: 'm', stream: true, messages: [] })).map((c) => c.delta.content ?? '');
  assert.ok(h.length > 10);
  assert.equal(h.join(''), '<tool_call>\n{"name":"Read","arguments":{"file_path":"/x"}}\n</tool_call>');
  const q = deltas(await chat({ model: 'm', stream: true, messages: [] })).map((c) => c.delta.content ?? '').join('');
  assert.equal(q, '<tool_call>\n<function=Read>\n<parameter=file_path>\n/x\n</parameter>\n<parameter=limit>\n5\n</parameter>\n</function>\n</tool_call>');
});

test('reasoning fields, finish reasons and cached-token usage', async () => {
  be.reset();
  be.script([{ kind: 'text', reasoning: ['th', 'ink'], reasoning_field: 'reasoning', content: ['ok'], finish_reason: 'length', usage: { prompt_tokens: 10, completion_tokens: 3, cached_tokens: 7 } }]);
  const r = await chat({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [] });
  const d = deltas(r);
  assert.equal(d.map((c) => c.delta.reasoning ?? '').join(''), 'think');
  assert.equal(d.at(-1).finish_reason, 'length');
  const u = r.events.find((e) => e.json?.usage).json.usage;
  assert.deepEqual(u, { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, prompt_tokens_details: { cached_tokens: 7 } });
});

test('stream:false gets one chat.completion JSON', async () => {
  be.reset();
  be.script([{ kind: 'tool_calls', calls: [{ name: 'Read', arguments: '{"file_path":"/a"}', id: 'call_1' }], content: ['see'] }]);
  const res = await fetch(`${be.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
  const j = await res.json();
  assert.equal(j.object, 'chat.completion');
  assert.equal(j.choices[0].message.content, 'see');
  assert.deepEqual(j.choices[0].message.tool_calls, [{ id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/a"}' } }]);
  assert.equal(j.choices[0].finish_reason, 'tool_calls');
});

test('HTTP errors carry the chosen status and an OpenAI-style body', async () => {
  be.reset();
  be.script([{ kind: 'error', status: 429, message: 'slow down', type: 'rate_limit_exceeded' }, { kind: 'error', status: 400, body: 'plain text' }]);
  const r = await fetch(`${be.url}/chat/completions`, { method: 'POST', body: '{"stream":true}' });
  assert.equal(r.status, 429);
  assert.deepEqual(await r.json(), { error: { message: 'slow down', type: 'rate_limit_exceeded', param: null, code: null } });
  const r2 = await fetch(`${be.url}/chat/completions`, { method: 'POST', body: '{}' });
  assert.equal(r2.status, 400);
  assert.equal(await r2.text(), 'plain text');
});

test('reset breaks the connection after the chosen number of frames', async () => {
  be.reset();
  be.script([{ kind: 'reset', content: ['a', 'b', 'c', 'd'], after: 3 }]);
  const r = await chat({ model: 'm', stream: true, messages: [] });
  assert.ok(r.error, 'the client saw a broken stream');
  assert.equal(deltas(r).map((c) => c.delta.content ?? '').join(''), 'ab');
  assert.equal(be.requests()[0].reset, true);
});

test('garbage lines are sent verbatim between valid frames', async () => {
  be.reset();
  be.script([{ kind: 'garbage', lines: ['not json', ': keep-alive'], text: 'fine' }]);
  const r = await chat({ model: 'm', stream: true, messages: [] });
  assert.ok(r.text.includes('data: not json\n\n'));
  assert.ok(r.text.includes(': keep-alive\n\n'));
  assert.equal(deltas(r).map((c) => c.delta.content ?? '').join(''), 'fine');
});

test('a hang never answers and records when the client closes the connection', async () => {
  be.reset();
  be.script([{ kind: 'hang' }, { kind: 'hang', after_headers: true, content: ['partial'] }]);
  for (const afterHeaders of [false, true]) {
    const ctrl = new AbortController();
    const p = fetch(`${be.url}/chat/completions`, { method: 'POST', body: '{"stream":true}', signal: ctrl.signal })
      .then(async (res) => { for await (const _ of res.body); }).catch((e) => e);
    await waitFor(() => be.events().some((e) => e.type === (afterHeaders ? 'hang' : 'request') && e.seq === be.requests().at(-1)?.seq), 2000, 'the request');
    await new Promise((r) => setTimeout(r, 100));
    const rec = be.requests().at(-1);
    assert.equal(rec.closed_by_client, false);
    const t0 = performance.timeOrigin + performance.now();
    ctrl.abort();
    await p;
    const closed = await waitFor(() => be.requests().find((x) => x.seq === rec.seq && x.closed_by_client), 1000, 'close');
    assert.ok(closed.closed_at - t0 < 1000);
    assert.ok(be.events().some((e) => e.type === 'client_closed' && e.seq === rec.seq));
  }
});

test('delay before headers, and match routes a response to the request that fits', async () => {
  be.reset();
  be.script([{ kind: 'text', text: 'for tools', match: { has_tools: true } }, { kind: 'text', text: 'slow', headers_delay_ms: 300 }]);
  const t0 = Date.now();
  const a = await chat({ model: 'm', stream: true, messages: [] });
  assert.ok(Date.now() - t0 >= 290);
  assert.equal(deltas(a).map((c) => c.delta.content ?? '').join(''), 'slow');
  const b = await chat({ model: 'm', stream: true, messages: [], tools: [{ type: 'function', function: { name: 'x' } }] });
  assert.equal(deltas(b).map((c) => c.delta.content ?? '').join(''), 'for tools');
});

test('CLI prints LISTENING <port>, serves /v1/models and the control API', async () => {
  const p = startProcess(process.execPath, [path.join(REPO, 'tests/e2e/scripted_backend.mjs'), '--port', '0']);
  try {
    const port = await waitFor(() => Number(/LISTENING (\d+)/.exec(p.stdout())?.[1]), 5000, 'LISTENING');
    const models = await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json();
    assert.equal(models.object, 'list');
    assert.equal(models.data[0].id, 'scripted-model');
    await fetch(`http://127.0.0.1:${port}/__script`, { method: 'POST', body: JSON.stringify([{ kind: 'text', text: 'scripted via http' }]) });
    const r = await postSse(`http://127.0.0.1:${port}/v1/chat/completions`, '{"stream":true}', {}, 5000);
    assert.equal(deltas(r).map((c) => c.delta.content ?? '').join(''), 'scripted via http');
    await fetch(`http://127.0.0.1:${port}/__reset`, { method: 'POST' });
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${port}/__requests`)).json(), []);
  } finally {
    await p.stop();
  }
});
