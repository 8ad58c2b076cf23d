// Request bodies and keys never reach the logs unless asked: the real gateway at --log-level
// trace, fed requests (good, malformed, invalid, count_tokens, an upstream error that quotes the
// request back, as pydantic validation errors in vLLM/SGLang do) that carry a marker, with a
// client API key and a backend key; then the same with --log-bodies true, where the bodies (and
// only they) show up. The embedded engine at trace level too (llama.cpp's own log included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { start } from './scripted_backend.mjs';
import { startPair } from './lib/gateway.mjs';
import { makeTinyModel, startEmbedded } from './lib/embedded.mjs';
import { postSse } from './lib/sse.mjs';
import { scratchDir, removeDir } from './lib/procs.mjs';

const secret = (tag) => `${tag}-${crypto.randomBytes(12).toString('hex')}`;

async function post(gw, path, body, headers) {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  return { status: res.status, text: await res.text() };
}

function request(marker, extra = {}) {
  return {
    model: 'claude-sonnet-4-5', max_tokens: 64,
    system: [{ type: 'text', text: `You are careful. ${marker}` }],
    messages: [{ role: 'user', content: `please keep ${marker} private` }],
    ...extra,
  };
}

// Sends every kind of request through the gateway; returns nothing, asserts the statuses.
async function exercise(pair, marker, apiKey) {
  const auth = { 'x-api-key': apiKey };
  const bearer = { authorization: `Bearer ${apiKey}` };
  let r = await post(pair.gw, '/v1/messages', request(marker), auth);
  assert.equal(r.status, 200, r.text);
  const s = await postSse(`${pair.gw.url}/v1/messages`, JSON.stringify(request(marker, { stream: true })), bearer);
  assert.equal(s.status, 200);
  r = await post(pair.gw, '/v1/messages', `{"model":"claude-sonnet-4-5","messages":"${marker}`, auth);
  assert.equal(r.status, 400, r.text);
  r = await post(pair.gw, '/v1/messages', { ...request(marker), messages: [{ role: 'tool', content: marker }] }, auth);
  assert.equal(r.status, 400, r.text);
  r = await post(pair.gw, '/v1/messages/count_tokens', request(marker), auth);
  assert.equal(r.status, 200, r.text);
  r = await post(pair.gw, '/v1/messages', request(marker), { 'x-api-key': `${apiKey}-wrong` });
  assert.equal(r.status, 401, r.text);
  pair.backend.script([{ kind: 'error', status: 400, type: 'BadRequestError',
    message: `1 validation error for ChatCompletionRequest messages.0 input_value={'content': 'please keep ${marker} private'}` }]);
  r = await post(pair.gw, '/v1/messages', request(marker), auth);
  assert.equal(r.status, 400, r.text);
  assert.ok(r.text.includes(marker), 'the client still gets the upstream message');
}

for (const logBodies of [false, true]) {
  test(`upstream mode at --log-level trace${logBodies ? ' with --log-bodies true' : ''}: ${logBodies ? 'bodies logged, ' : 'no bodies, '}never a key`, { timeout: 30000 }, async () => {
    const marker = secret('BODYMARK');
    const apiKey = secret('clientkey');
    const backendKey = secret('backendkey');
    const pair = await startPair(start, {
      apiKey, logLevel: 'trace', args: ['--backend-key', backendKey, ...(logBodies ? ['--log-bodies', 'true'] : [])],
    });
    try {
      await exercise(pair, marker, apiKey);
      assert.ok(pair.backend.requests().every((q) => q.headers.authorization === `Bearer ${backendKey}`),
        'the backend key is sent to the backend');
      const logs = pair.gw.logs();
      assert.match(logs, /POST \/v1\/messages from 127\.0\.0\.1/, 'trace logging is on (request lines are logged)');
      assert.match(logs, /upstream answered 400/, 'the upstream error is logged');
      assert.ok(!logs.includes(apiKey), 'the client API key is never logged');
      assert.ok(!logs.includes(backendKey), 'the backend key is never logged');
      if (logBodies) {
        assert.ok(logs.includes(marker), 'with --log-bodies the bodies are logged');
        assert.match(logs, /input_value=/, 'and the upstream error text');
      } else {
        assert.ok(!logs.includes(marker), `a body reached the log:\n${logs.split('\n').filter((l) => l.includes(marker)).join('\n')}`);
      }
    } finally {
      await pair.stop();
    }
  });
}

test('embedded mode at --log-level trace (llama.cpp log included): no body text in the log', { timeout: 90000 }, async () => {
  const dir = scratchDir('logpriv');
  let gw;
  try {
    const model = await makeTinyModel(dir);
    gw = await startEmbedded({ model, cacheDir: `${dir}/kv`, ctxSize: 4096, args: ['--log-level', 'trace'] });
    const marker = secret('BODYMARK');
    const s = await postSse(`${gw.url}/v1/messages`, JSON.stringify(request(marker, { stream: true })));
    assert.equal(s.status, 200);
    const r = await post(gw, '/v1/messages/count_tokens', request(marker), {});
    assert.equal(r.status, 200, r.text);
    const bad = await post(gw, '/v1/messages', `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"${marker}"}`, {});
    assert.equal(bad.status, 400, bad.text);
    const logs = gw.logs();
    assert.match(logs, /prompt tokens/, 'engine logging is on');
    assert.ok(!logs.includes(marker), `a body reached the log:\n${logs.split('\n').filter((l) => l.includes(marker)).join('\n').slice(0, 2000)}`);
  } finally {
    await gw?.stop();
    removeDir(dir);
  }
});
