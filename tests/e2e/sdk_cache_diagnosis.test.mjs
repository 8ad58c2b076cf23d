// The official SDK against the embedded engine: the cache-diagnosis-2026-04-07 beta (a request
// naming an earlier answer learns why its prefix could not be reused: message_start's message and
// the stream:false message carry diagnostics.cache_miss_reason), and a streamed request that waits
// in the engine's queue (more requests than --parallel sequences) hears message_start and ping
// events within the ping interval, before its first token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tinyModelForFile, withEmbedded, fixture, followUp, sendTurn, CC_HEADERS } from './lib/embedded.mjs';

const tiny = tinyModelForFile('sdk-cache-diagnosis', { neverStop: true });

const BETA = { ...CC_HEADERS, 'anthropic-beta': `${CC_HEADERS['anthropic-beta']},cache-diagnosis-2026-04-07` };

const idOf = (r) => (r.events ? r.events[0].message.id : r.message.id);
const diagnosticsOf = (r) => (r.events ? r.events[0].message.diagnostics : r.message.diagnostics);

test('cache diagnostics: system changed, unchanged, not found; only with the beta', { timeout: 120000 }, async () => {
  await withEmbedded({ ...tiny, ctxSize: 16384, maxTokensCap: 4 }, async (gw, sdk) => {
    const t1 = fixture('capture-first.json');
    const r1 = await sendTurn(sdk, t1, { stream: true, headers: BETA });
    assert.equal(diagnosticsOf(r1), undefined, 'a request naming no earlier answer gets no diagnostics');
    const prev = { previous_message_id: idOf(r1) };

    // The next turn, extending the first: no miss.
    const t2 = { ...followUp(t1, r1.text, 'And the second question.'), diagnostics: prev };
    const r2 = await sendTurn(sdk, t2, { stream: true, headers: BETA });
    assert.deepEqual(diagnosticsOf(r2), { cache_miss_reason: null });

    // The same turn with another system prompt.
    const changed = structuredClone(t2);
    changed.system[changed.system.length - 1].text += ' Be brief.';
    for (const stream of [true, false]) {
      const r = await sendTurn(sdk, changed, { stream, headers: BETA });
      const d = diagnosticsOf(r);
      assert.equal(d?.cache_miss_reason?.type, 'system_changed', `${stream ? 'streamed' : 'whole'}: ${JSON.stringify(d)}`);
      assert.ok(d.cache_miss_reason.cache_missed_input_tokens > 0, JSON.stringify(d));
    }

    const unknown = await sendTurn(sdk, { ...t2, diagnostics: { previous_message_id: 'msg_unknown' } }, { stream: false, headers: BETA });
    assert.deepEqual(diagnosticsOf(unknown), { cache_miss_reason: { type: 'previous_message_not_found' } });

    // Without the beta the field is ignored, and nothing is added to the answer.
    const plain = await sendTurn(sdk, changed, { stream: true, headers: CC_HEADERS });
    assert.equal(diagnosticsOf(plain), undefined);
  });
});

// One streamed request read as raw SSE: the event names in order, with the time each arrived
// (ms since started); sentAt: when the request was sent.
async function streamEvents(gw, body, started) {
  const sentAt = Date.now() - started;
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'test-key' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(res.status, 200);
  const events = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    for (let i; (i = buf.indexOf('\n\n')) >= 0; buf = buf.slice(i + 2)) {
      const name = /^event: (.*)$/m.exec(buf.slice(0, i))?.[1];
      if (name) events.push({ name, at: Date.now() - started });
    }
  }
  return { sentAt, events };
}

test('a streamed request waiting for a sequence gets message_start and pings before its first token', { timeout: 120000 }, async () => {
  const PING_MS = 100;
  await withEmbedded({ ...tiny, ctxSize: 16384, maxTokensCap: 0, parallel: 1, args: ['--ping-interval-ms', String(PING_MS)] }, async (gw) => {
    const body = (text, max_tokens) => ({ model: 'claude-sonnet-4-5', max_tokens, messages: [{ role: 'user', content: text }] });
    const started = Date.now();
    // The first request holds the only sequence for several ping intervals (the model never stops).
    const first = streamEvents(gw, { ...body('Write a long answer.', 400), tools: [{ name: 'Read', input_schema: { type: 'object' } }] }, started);
    await new Promise((r) => setTimeout(r, 100));
    const { sentAt, events: second } = await streamEvents(gw, body('Then this one.', 4), started);
    const firstDone = (await first).events.at(-1).at;
    const firstBlock = second.findIndex((e) => e.name === 'content_block_start');
    if (process.env.E2E_DEBUG) console.log(JSON.stringify({ firstDone, second }));
    assert.ok(firstBlock > 0, `the waiting request's events: ${JSON.stringify(second)}`);
    assert.ok(second[firstBlock].at >= firstDone - 50, `the second request ran after the first (${second[firstBlock].at} vs ${firstDone} ms)`);
    assert.ok(firstDone > 4 * PING_MS, `the first request held the sequence ${firstDone} ms, several ping intervals`);
    const before = second.slice(0, firstBlock);
    assert.equal(before[0].name, 'message_start');
    assert.ok(before[0].at - sentAt < 2 * PING_MS, `message_start within a ping interval of arriving: ${before[0].at - sentAt} ms`);
    const pings = before.filter((e) => e.name === 'ping');
    assert.ok(pings.length >= 2, `pings while waiting: ${JSON.stringify(before)}`);
    for (let i = 1; i < before.length; ++i)
      assert.ok(before[i].at - before[i - 1].at < 3 * PING_MS, `no silence longer than the ping interval: ${JSON.stringify(before)}`);
    assert.equal(second.filter((e) => e.name === 'message_start').length, 1, 'one message_start');
    assert.equal(second.at(-1).name, 'message_stop');
  });
});
