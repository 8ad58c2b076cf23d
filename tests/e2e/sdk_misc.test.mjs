// The gateway's other endpoints and settings, through the official SDK and plain fetch:
// /health, count_tokens, models.list, API-key auth (x-api-key and Bearer), and configuration
// through ANYCLAUDE_* environment variables alone.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { start } from './scripted_backend.mjs';
import { startPair, startGateway } from './lib/gateway.mjs';
import { client, basic, rejection, lastUpstream, READ_TOOL } from './lib/sdk.mjs';

let pair;
let sdk;
before(async () => {
  pair = await startPair(start, { model: 'main-model', smallModel: 'small-model' });
  sdk = client(pair.gw);
});
after(async () => { await pair?.stop(); });
beforeEach(() => pair.backend.reset());

test('GET /health answers 200 as soon as the port file is written', { timeout: 10000 }, async () => {
  const r = await fetch(`${pair.gw.url}/health`);
  assert.equal(r.status, 200);
});

test('count_tokens returns a positive count that grows with the input', { timeout: 20000 }, async () => {
  const small = await sdk.messages.countTokens({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] });
  assert.ok(Number.isInteger(small.input_tokens) && small.input_tokens > 0, JSON.stringify(small));
  const big = await sdk.messages.countTokens({
    model: 'claude-sonnet-5-5',
    system: 'You are a careful assistant. '.repeat(50),
    tools: [READ_TOOL],
    messages: [{ role: 'user', content: 'Please summarise the following text. '.repeat(100) }],
  });
  assert.ok(big.input_tokens > small.input_tokens * 10, `${big.input_tokens} vs ${small.input_tokens}`);
  assert.equal(pair.backend.requests().filter((r) => r.path.endsWith('/chat/completions')).length, 0,
    'counting does not generate upstream');
});

test('models.list returns Anthropic-shaped model entries', { timeout: 20000 }, async () => {
  const models = [];
  for await (const m of sdk.models.list()) models.push(m);
  assert.ok(models.length > 0);
  for (const m of models) {
    assert.equal(m.type, 'model');
    assert.equal(typeof m.id, 'string');
    assert.ok(m.id.length > 0);
  }
});

test('with an API key set: wrong or missing key is 401 authentication_error; x-api-key and Bearer pass', { timeout: 30000 }, async () => {
  const gw = await startGateway({ backendUrl: pair.backend.url, model: 'main-model', apiKey: 'sekret-123' });
  try {
    for (const c of [client(gw, { apiKey: 'wrong' }), client(gw, { apiKey: null, authToken: 'wrong' })]) {
      const err = await rejection(() => c.messages.create(basic()));
      assert.ok(err instanceof Anthropic.AuthenticationError, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.type, 'authentication_error');
      const err2 = await rejection(() => c.messages.countTokens({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'x' }] }));
      assert.equal(err2.status, 401);
    }
    const none = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(basic()) });
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.type, 'authentication_error');
    assert.equal(pair.backend.requests().length, 0, 'rejected requests never reach the backend');

    pair.backend.script([{ kind: 'text', text: 'via x-api-key' }, { kind: 'text', text: 'via bearer' }]);
    const a = await client(gw, { apiKey: 'sekret-123' }).messages.create(basic());
    assert.equal(a.content[0].text, 'via x-api-key');
    const b = await client(gw, { apiKey: null, authToken: 'sekret-123' }).messages.create(basic());
    assert.equal(b.content[0].text, 'via bearer');
    assert.equal(pair.backend.requests()[1].headers['x-api-key'], undefined, "the client's key is not forwarded upstream");
  } finally {
    await gw.stop();
  }
});

test('configured through ANYCLAUDE_* environment variables alone', { timeout: 30000 }, async () => {
  const gw = await startGateway({
    envOnly: true,
    env: {
      ANYCLAUDE_MODE: 'openai', ANYCLAUDE_BACKEND_URL: pair.backend.url, ANYCLAUDE_MODEL: 'env-main',
      ANYCLAUDE_SMALL_MODEL: 'env-small', ANYCLAUDE_API_KEY: 'env-key', ANYCLAUDE_BACKEND_KEY: 'backend-secret',
    },
  });
  try {
    const err = await rejection(() => client(gw, { apiKey: 'nope' }).messages.create(basic()));
    assert.equal(err.status, 401);
    const ok = client(gw, { apiKey: 'env-key' });
    await ok.messages.create(basic());
    await ok.messages.create(basic({ model: 'claude-haiku-5-5' }));
    const ups = pair.backend.requests();
    assert.deepEqual(ups.map((r) => JSON.parse(r.body).model), ['env-main', 'env-small']);
    assert.equal(ups[0].headers.authorization, 'Bearer backend-secret', 'ANYCLAUDE_BACKEND_KEY is sent upstream as Bearer');
  } finally {
    await gw.stop();
  }
});

test('upstream request carries no Anthropic-only fields', { timeout: 20000 }, async () => {
  await sdk.messages.create(basic({ metadata: { user_id: 'u1' }, top_k: 5 }));
  const up = lastUpstream(pair.backend);
  for (const k of ['metadata', 'system', 'anthropic_version', 'thinking', 'context_management', 'output_config']) {
    assert.ok(!(k in up), `field ${k} forwarded upstream`);
  }
});
