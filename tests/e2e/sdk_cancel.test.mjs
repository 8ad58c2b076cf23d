// A client that goes away must cancel the upstream request: the scripted backend hangs, the
// SDK aborts, and the backend must see its connection closed within about a second.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './scripted_backend.mjs';
import { startPair } from './lib/gateway.mjs';
import { client, basic } from './lib/sdk.mjs';
import { waitFor } from './lib/procs.mjs';

let pair;
let sdk;
before(async () => {
  pair = await startPair(start, { model: 'main-model' });
  sdk = client(pair.gw);
});
after(async () => { await pair?.stop(); });
beforeEach(() => pair.backend.reset());

const clock = () => performance.timeOrigin + performance.now();

async function assertUpstreamClosedAfter(abortAt) {
  const rec = await waitFor(() => pair.backend.requests().find((r) => r.closed_by_client), 3000,
    'the backend to see its connection closed').catch(() => null);
  assert.ok(rec, `upstream never closed: ${JSON.stringify(pair.backend.requests().map(({ body, headers, ...r }) => r))}\n${pair.gw.logs().slice(-3000)}`);
  const ms = rec.closed_at - abortAt;
  assert.ok(ms < 1000, `upstream closed ${ms.toFixed(0)} ms after the client aborted`);
}

test('aborting a stream while the backend has not answered cancels the upstream request', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'hang' }]);
  const ctrl = new AbortController();
  const stream = sdk.messages.stream(basic(), { signal: ctrl.signal });
  stream.on('error', () => {});
  const done = stream.done().catch((e) => e);
  await pair.backend.waitForRequests(1, 5000);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(pair.backend.requests()[0].closed_by_client, false, 'still open before the abort');
  const t = clock();
  ctrl.abort();
  await done;
  await assertUpstreamClosedAfter(t);
});

test('aborting a stream mid-answer cancels the upstream request', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'hang', after_headers: true, content: ['first ', 'words'] }]);
  const ctrl = new AbortController();
  const stream = sdk.messages.stream(basic(), { signal: ctrl.signal });
  stream.on('error', () => {});
  let text = '';
  stream.on('text', (d) => { text += d; });
  const done = stream.done().catch((e) => e);
  await waitFor(() => text === 'first words', 5000, 'the first words through the gateway');
  const t = clock();
  ctrl.abort();
  await done;
  await assertUpstreamClosedAfter(t);
});

test('aborting a non-streaming request cancels the upstream request', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'hang', after_headers: true, content: ['some'] }]);
  const ctrl = new AbortController();
  const p = sdk.messages.create(basic(), { signal: ctrl.signal }).catch((e) => e);
  await pair.backend.waitForRequests(1, 5000);
  await new Promise((r) => setTimeout(r, 200));
  const t = clock();
  ctrl.abort();
  await p;
  await assertUpstreamClosedAfter(t);
});

test('the gateway keeps serving after cancelled requests', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', text: 'still alive' }]);
  const msg = await sdk.messages.create(basic());
  assert.equal(msg.content[0].text, 'still alive');
});
