// Failures seen through the official SDK: upstream HTTP errors mapped to Anthropic statuses and
// error types, an unreachable backend, a connection reset mid-stream, garbage lines, and a slow
// upstream. Every case must end (error or message_stop), never hang.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { start } from './scripted_backend.mjs';
import { startPair, startGateway } from './lib/gateway.mjs';
import { client, basic, drain, rejection } from './lib/sdk.mjs';
import { postSse } from './lib/sse.mjs';

let pair;
let sdk;
before(async () => {
  pair = await startPair(start, { model: 'main-model' });
  sdk = client(pair.gw);
});
after(async () => { await pair?.stop(); });
beforeEach(() => pair.backend.reset());

const CASES = [
  { status: 400, type: 'invalid_request_error', cls: Anthropic.BadRequestError, message: 'messages: bad role' },
  { status: 401, type: 'authentication_error', cls: Anthropic.AuthenticationError, message: 'Invalid API key provided' },
  { status: 404, type: 'not_found_error', cls: Anthropic.NotFoundError, message: 'The model `x` does not exist.' },
  { status: 429, type: 'rate_limit_error', cls: Anthropic.RateLimitError, message: 'Too many requests, slow down' },
  { status: 500, type: 'api_error', cls: Anthropic.InternalServerError, message: 'CUDA error: out of memory' },
  { status: 529, type: 'overloaded_error', cls: Anthropic.OverloadedError, message: 'server overloaded' },
];

for (const c of CASES) {
  test(`upstream ${c.status} surfaces as ${c.type} (stream and not)`, { timeout: 20000 }, async () => {
    const spec = { kind: 'error', status: c.status, message: c.message, type: 'server_error' };
    pair.backend.script([spec, spec]);
    const whole = await rejection(() => sdk.messages.create(basic()));
    assert.ok(whole instanceof c.cls, `${whole.constructor.name}: ${whole.message}`);
    assert.equal(whole.status, c.status);
    assert.equal(whole.type, c.type);
    assert.equal(whole.error?.type, 'error');
    assert.ok(whole.message.includes(c.message), `upstream message kept: ${whole.message}`);

    const streamed = await rejection(() => sdk.messages.stream(basic()).finalMessage());
    assert.ok(streamed instanceof APIError, String(streamed));
    assert.equal(streamed.status, c.status, `streaming: HTTP status before any event (${streamed.message})`);
    assert.equal(streamed.type, c.type);
    assert.equal(pair.backend.requests().length, 2, 'no retries inside the gateway');
  });
}

test('upstream error with a plain-string body (LM Studio context overflow) keeps its message', { timeout: 20000 }, async () => {
  const text = 'The number of tokens to keep from the initial prompt is greater than the context length';
  pair.backend.script([{ kind: 'error', status: 400, body: JSON.stringify({ error: text }) }]);
  const err = await rejection(() => sdk.messages.create(basic()));
  assert.equal(err.status, 400);
  assert.equal(err.type, 'invalid_request_error');
  assert.ok(err.message.includes(text), err.message);
});

test('an unreachable backend gives an error that names its URL', { timeout: 30000 }, async () => {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const backendUrl = `http://127.0.0.1:${port}/v1`;
  const gw = await startGateway({ backendUrl, model: 'main-model' });
  try {
    const c = client(gw);
    const whole = await rejection(() => c.messages.create(basic()));
    assert.ok(whole instanceof APIError, String(whole));
    // 400, not 5xx, which Claude Code retries ten times over minutes (backends/upstream_backend.cpp).
    assert.equal(whole.status, 400, `status ${whole.status}`);
    assert.ok(whole.message.includes(`127.0.0.1:${port}`), `message names the backend: ${whole.message}`);
    assert.ok(whole.message.includes('--backend-url URL'), `message says what fixes it: ${whole.message}`);
    const streamed = await rejection(() => c.messages.stream(basic()).finalMessage());
    assert.ok(streamed instanceof APIError, String(streamed));
    assert.ok(streamed.message.includes(`127.0.0.1:${port}`), `message names the backend: ${streamed.message}`);
  } finally {
    await gw.stop();
  }
});

test('a connection reset mid-stream ends the SSE stream with an error event', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'reset', content: ['partial ', 'answer ', 'lost'], after: 3, delay_ms: 30 }]);
  const t0 = Date.now();
  const { events, error } = await drain(await sdk.messages.create(basic({ stream: true })));
  assert.ok(Date.now() - t0 < 10000);
  const text = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
  assert.equal(text, 'partial answer ', 'text before the reset was delivered');
  assert.ok(error instanceof APIError, `expected an APIError from an SSE error event, got ${error}`);
  assert.equal(error.status, undefined, 'the error came inside the 200 stream');
  assert.equal(error.error?.type, 'error', `error event body: ${JSON.stringify(error.error)}`);
  assert.ok(!events.some((e) => e.type === 'message_stop'));
});

test('a connection reset before a non-streaming answer is a 5xx error', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'reset', content: ['partial'], after: 1 }]);
  const err = await rejection(() => sdk.messages.create(basic()));
  assert.ok(err instanceof APIError, String(err));
  assert.ok(err.status >= 500, `status ${err.status}: ${err.message}`);
});

test('SSE comment lines from the backend are ignored', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'garbage', lines: [': keep-alive', ': ping'], content: ['still ', 'fine'] }]);
  const msg = await sdk.messages.stream(basic()).finalMessage();
  assert.equal(msg.content[0].text, 'still fine');
});

test('a non-JSON data line ends the stream with an api_error event naming it, never a hang', { timeout: 20000 }, async () => {
  // The backend's 200 has arrived (message_start is out) when its first data line fails to
  // parse: the gateway stops reading there (stream_decoder.cpp), so nothing after it, text
  // included, reaches the client, and the stream ends with one error event, no message_stop.
  pair.backend.script([{ kind: 'garbage', lines: ['this is not json', '{"truncated": '], content: ['after ', 'garbage'] }]);
  const r = await postSse(`${pair.gw.url}/v1/messages`, JSON.stringify(basic({ stream: true })),
    { 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' }, 10000);
  assert.equal(r.error, null, `stream read failed: ${r.error}`);
  assert.equal(r.status, 200);
  const names = r.events.map((e) => e.event).filter((name) => name !== 'ping');
  assert.deepEqual(names, ['message_start', 'error'], r.text);
  assert.deepEqual(r.events.at(-1).json, {
    type: 'error', error: { type: 'api_error', message: 'upstream sent malformed data: this is not json' },
  });
});

test('a backend that waits 1.5 s before its headers still answers', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', text: 'late but here', headers_delay_ms: 1500 }]);
  const msg = await sdk.messages.stream(basic()).finalMessage();
  assert.equal(msg.content[0].text, 'late but here');
});

test('an invalid client request is a 400 invalid_request_error and never reaches the backend', { timeout: 20000 }, async () => {
  const r = await fetch(`${pair.gw.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user' }] }),
  });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'invalid_request_error');
  const bad = await fetch(`${pair.gw.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: '{not json',
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.type, 'invalid_request_error');
  assert.equal(pair.backend.requests().length, 0);
});
