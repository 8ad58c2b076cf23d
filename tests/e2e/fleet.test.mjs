// Several backends behind one gateway (src/fleet/): three scripted OpenAI-compatible servers on
// loopback, driven through the official SDK with Claude-Code-shaped requests (tools, a system
// prompt with a per-request billing line, a growing conversation). Covers affinity across turns
// and across a gateway restart, a backend killed mid-session, a backend that hangs (takes the
// connection, never answers), its return, bounded load under 20 concurrent conversations,
// weights from the config file, and models listed per backend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { APIError } from '@anthropic-ai/sdk';
import { start } from './scripted_backend.mjs';
import { startGateway } from './lib/gateway.mjs';
import { client, READ_TOOL, MODEL, drain } from './lib/sdk.mjs';
import { scratchDir, removeDir, sleep, waitFor } from './lib/procs.mjs';

const KEY_HEADER = 'x-anyclaude-conversation';
// The billing line is kept (not stripped) so that it reaches the backends: it carries the nonce
// that tells which backend got a request, and shows that the key leaves it out.
const FAST = ['--health-interval-ms', '200', '--strip-billing-header', 'false'];

// Starts a gateway in front of the given URLs (backend-url repeated).
function gatewayFor(urls, extra = []) {
  const args = [...FAST, ...extra];
  for (const u of urls.slice(1)) args.push('--backend-url', u);
  return startGateway({ backendUrl: urls[0], model: 'main-model', logLevel: 'info', args });
}

// One turn of conversation `name`: Claude Code's shape, with a billing line that changes on every
// request (as it does per prompt) and carries a nonce to find which backend got it.
let nonceSeq = 0;
function turnOf(name, turns) {
  const nonce = `nonce-${++nonceSeq}-${Math.random().toString(36).slice(2)}`;
  const messages = [{ role: 'user', content: `Task ${name}: fix the failing test.` }];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'assistant', content: `Step ${i} of ${name} done.` });
    messages.push({ role: 'user', content: `go on (${i})` });
  }
  return {
    nonce,
    body: {
      model: MODEL, max_tokens: 64, tools: [READ_TOOL], messages,
      system: [
        { type: 'text', text: `x-anthropic-billing-header: cc_version=2.1.328.${nonce.slice(-3)}; cc_entrypoint=cli; cch=${nonce};` },
        { type: 'text', text: 'You are Claude Code, a coding agent.', cache_control: { type: 'ephemeral' } },
      ],
    },
  };
}

// Which backend (index) received the request carrying nonce, and the key header it carried.
// How many requests carrying nonce the backends got (a retry would make it 2).
const copies = (backends, nonce) => backends.reduce((n, b) => n + b.requests().filter((r) => r.body.includes(nonce)).length, 0);

function whereIs(backends, nonce) {
  for (let i = 0; i < backends.length; i++) {
    const rec = backends[i].requests().find((r) => r.body.includes(nonce));
    if (rec) return { index: i, key: rec.headers[KEY_HEADER] };
  }
  return { index: -1 };
}

async function health(gw) {
  const res = await fetch(`${gw.url}/health`);
  return (await res.json()).fleet;
}

let backends = [];
before(async () => { backends = await Promise.all([0, 1, 2].map(() => start({ port: 0, models: ['main-model'] }))); });
after(async () => { for (const b of backends) await b.close().catch(() => {}); });

test('a conversation stays on one backend across turns and across a gateway restart', { timeout: 60000 }, async () => {
  let gw = await gatewayFor(backends.map((b) => b.url));
  const home = {};
  const keys = {};
  try {
    const sdk = client(gw);
    for (let turn = 0; turn < 3; turn++) {
      for (let c = 0; c < 8; c++) {
        const t = turnOf(`conv${c}`, turn);
        const msg = await sdk.messages.create(t.body);
        assert.equal(msg.type, 'message');
        const at = whereIs(backends, t.nonce);
        assert.ok(at.index >= 0, 'some backend got it');
        assert.match(at.key ?? '', /^[0-9a-f]{16}$/, 'the conversation key is forwarded');
        home[c] ??= at.index;
        keys[c] ??= at.key;
        assert.equal(at.index, home[c], `conv${c} turn ${turn} stays on backend ${home[c]}`);
        assert.equal(at.key, keys[c], 'the key ignores the billing line and the growing history');
      }
    }
    assert.ok(new Set(Object.values(home)).size >= 2, `8 conversations spread: ${JSON.stringify(home)}`);
    assert.equal(new Set(Object.values(keys)).size, 8, 'one key per conversation');
  } finally {
    await gw.stop();
  }
  gw = await gatewayFor(backends.map((b) => b.url));
  try {
    const sdk = client(gw);
    for (let c = 0; c < 8; c++) {
      const t = turnOf(`conv${c}`, 3);
      await sdk.messages.create(t.body);
      assert.equal(whereIs(backends, t.nonce).index, home[c], `conv${c} after the restart`);
    }
    const fleet = await health(gw);
    assert.equal(fleet.backends.length, 3);
    assert.equal(fleet.moves, 0);
    assert.ok(fleet.backends.every((b) => b.state === 'healthy'));
  } finally {
    await gw.stop();
  }
});

test('a backend killed mid-session: the request in flight ends cleanly, the next turn lands elsewhere, and it comes back', { timeout: 60000 }, async () => {
  const local = await Promise.all([0, 1, 2].map(() => start({ port: 0, models: ['main-model'] })));
  const gw = await gatewayFor(local.map((b) => b.url));
  try {
    const sdk = client(gw);
    const first = turnOf('killed', 0);
    await sdk.messages.create(first.body);
    const victim = whereIs(local, first.nonce).index;
    const port = local[victim].port;
    local[victim].setDefault({ kind: 'text', content: Array.from({ length: 40 }, (_, i) => `w${i} `), delay_ms: 50 });
    const second = turnOf('killed', 1);
    const inflight = drain(sdk.messages.stream(second.body));
    await local[victim].waitForRequests(2);
    await sleep(300);
    await local[victim].close();
    const { events, error } = await inflight;
    if (error) assert.ok(error instanceof APIError || /terminated|closed|stream/i.test(String(error)), `clean error: ${error}`);
    else assert.equal(events.at(-1)?.type, 'message_stop', 'or it completed');
    assert.ok(events.some((e) => e.type === 'content_block_delta'), 'bytes had reached the client');
    assert.equal(copies(local, second.nonce), 1, 'so it was not retried elsewhere');

    const next = turnOf('killed', 2);
    const msg = await sdk.messages.create(next.body);
    assert.equal(msg.type, 'message');
    const moved = whereIs(local, next.nonce).index;
    assert.ok(moved >= 0 && moved !== victim, `moved from ${victim} to ${moved}`);
    let fleet = await health(gw);
    assert.equal(fleet.backends[victim].state, 'ejected');
    assert.ok(fleet.moves >= 1, `moves counted: ${fleet.moves}`);
    assert.ok(fleet.backends[victim].moved_out >= 1);
    assert.match(gw.logs(), /fleet: conversation [0-9a-f]{16} moved from/);
    const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { 'x-api-key': 'test-key' } })).text();
    assert.match(metrics, new RegExp(`anyclaude_fleet_backend_healthy\\{backend="${victim}",url="[^"]+"\\} 0`));
    assert.match(metrics, new RegExp(`anyclaude_fleet_backend_moved_out_total\\{backend="${victim}",url="[^"]+"\\} [1-9]`));
    assert.match(metrics, new RegExp(`anyclaude_fleet_backend_moved_in_total\\{backend="${moved}",url="[^"]+"\\} [1-9]`));

    // It comes back on the same port: healthy again after a check, used for new conversations,
    // while the moved conversation stays where its cache now is.
    local[victim] = await start({ port, models: ['main-model'] });
    await waitFor(async () => (await health(gw)).backends[victim].state === 'healthy', 5000, 'the backend to return');
    const after = turnOf('killed', 3);
    await sdk.messages.create(after.body);
    assert.equal(whereIs(local, after.nonce).index, moved, 'the moved conversation does not move back');
    let used = false;
    for (let c = 0; c < 30 && !used; c++) {
      const t = turnOf(`fresh${c}`, 0);
      await sdk.messages.create(t.body);
      used = whereIs(local, t.nonce).index === victim;
    }
    assert.ok(used, 'new conversations use the returned backend');
    fleet = await health(gw);
    assert.match(gw.logs(), /is back/);
  } finally {
    await gw.stop();
    for (const b of local) await b.close().catch(() => {});
  }
});

// A TCP front for a scripted backend that can be switched to hang: it accepts connections and
// never answers anything (health checks included).
async function hangable(target) {
  const state = { hang: false, sockets: new Set() };
  const server = net.createServer((sock) => {
    state.sockets.add(sock);
    sock.on('close', () => state.sockets.delete(sock));
    sock.on('error', () => {});
    if (state.hang) return; // read and never answer
    const up = net.connect(target.port, '127.0.0.1');
    up.on('error', () => sock.destroy());
    sock.pipe(up).pipe(sock);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    hang() { state.hang = true; for (const s of state.sockets) s.destroy(); },
    async close() { for (const s of state.sockets) s.destroy(); await new Promise((r) => server.close(r)); },
  };
}

test('a backend that hangs: the request is bounded, then the conversation moves', { timeout: 60000 }, async () => {
  const local = await Promise.all([0, 1, 2].map(() => start({ port: 0, models: ['main-model'] })));
  const front = await hangable(local[2]);
  const urls = [local[0].url, local[1].url, front.url];
  const gw = await gatewayFor(urls);
  try {
    const sdk = client(gw, { timeout: 30000 });
    // A conversation that lives behind the front.
    let name;
    for (let c = 0; c < 40 && !name; c++) {
      const t = turnOf(`hang${c}`, 0);
      await sdk.messages.create(t.body);
      if (whereIs(local, t.nonce).index === 2) name = `hang${c}`;
    }
    assert.ok(name, 'some conversation lands on the third backend');
    front.hang();
    const t0 = Date.now();
    const cut = turnOf(name, 1);
    const { events, error } = await drain(sdk.messages.stream(cut.body));
    const took = Date.now() - t0;
    assert.ok(took < 15000, `bounded: ${took} ms`);
    if (error) assert.ok(error instanceof APIError || /stopped answering/.test(String(error)), `clean error: ${error}`);
    else assert.equal(events.at(-1)?.type, 'message_stop');
    if (events.length > 0) assert.equal(copies(local, cut.nonce), 0, 'message_start went out: never retried (the front swallowed it)');
    const next = turnOf(name, 2);
    await sdk.messages.create(next.body);
    assert.ok([0, 1].includes(whereIs(local, next.nonce).index), 'the next turn goes to a live backend');
    const fleet = await health(gw);
    assert.equal(fleet.backends[2].state, 'ejected');
    assert.ok(fleet.moves >= 1);
    assert.match(gw.logs(), /health checks failed/);
  } finally {
    await gw.stop();
    await front.close();
    for (const b of local) await b.close().catch(() => {});
  }
});

test('bounded load: 20 concurrent conversations that all hash to one backend spread', { timeout: 90000 }, async () => {
  for (const b of backends) { b.reset(); }
  const urls = backends.map((b) => b.url);
  // Calibration: with an unbounded gateway (same ring: it is placed by URL), find 20
  // conversations whose ring place is backend 0.
  const names = [];
  const probe = await gatewayFor(urls, ['--route-load-slack-pct', '1000']);
  try {
    const sdk = client(probe);
    for (let c = 0; c < 200 && names.length < 20; c++) {
      const t = turnOf(`load${c}`, 0);
      await sdk.messages.create(t.body);
      if (whereIs(backends, t.nonce).index === 0) names.push(`load${c}`);
    }
  } finally {
    await probe.stop();
  }
  assert.equal(names.length, 20);
  for (const b of backends) { b.reset(); b.setDefault({ kind: 'text', content: ['slow', ' answer'], headers_delay_ms: 1500 }); }
  const gw = await gatewayFor(urls); // default slack 25%
  try {
    const sdk = client(gw, { timeout: 30000 });
    const turns = names.map((n) => turnOf(n, 0));
    await Promise.all(turns.map((t) => sdk.messages.create(t.body)));
    const count = [0, 0, 0];
    for (const t of turns) count[whereIs(backends, t.nonce).index]++;
    assert.ok(count[0] <= Math.ceil(1.25 * 20 / 3), `backend 0 holds at most its bounded share: ${count}`);
    assert.ok(count[0] >= 5, `but still the largest part of them: ${count}`);
  } finally {
    await gw.stop();
    for (const b of backends) { b.reset(); }
  }
});

test('weights from the config file: a weight-4 backend gets most new conversations', { timeout: 60000 }, async () => {
  const dir = scratchDir('fleet-cfg');
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({
    mode: 'openai', model: 'main-model',
    backends: [{ url: backends[0].url }, { url: backends[1].url, weight: 1 }, { url: backends[2].url, weight: 4, key: 'k2' }],
  }));
  const gw = await startGateway({ envOnly: true, logLevel: 'info', args: ['--config', file, ...FAST] });
  try {
    const sdk = client(gw);
    const count = [0, 0, 0];
    const n = 60;
    for (let c = 0; c < n; c++) {
      const t = turnOf(`weighted${c}`, 0);
      await sdk.messages.create(t.body);
      count[whereIs(backends, t.nonce).index]++;
    }
    assert.ok(count[2] / n > 0.45 && count[2] / n < 0.9, `weight 4 of 6: ${count}`);
    assert.ok(count[0] > 0 && count[1] > 0, `the others still get some: ${count}`);
    const rec = backends[2].requests().at(-1);
    assert.equal(rec.headers.authorization, 'Bearer k2', 'its own key');
    const fleet = await health(gw);
    assert.deepEqual(fleet.backends.map((b) => b.weight), [1, 1, 4]);
  } finally {
    await gw.stop();
    removeDir(dir);
  }
});

test('models per backend: each model goes only to the backends that list it', { timeout: 60000 }, async () => {
  for (const b of backends) b.reset();
  const dir = scratchDir('fleet-models');
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({
    mode: 'openai', model: 'main-model', 'small-model': 'small-model',
    backends: [{ url: backends[0].url, models: ['main-model'] }, { url: backends[1].url, models: ['small-model'] },
      { url: backends[2].url, models: ['main-model'] }],
  }));
  const gw = await startGateway({ envOnly: true, logLevel: 'info', args: ['--config', file, ...FAST] });
  try {
    const sdk = client(gw);
    for (let c = 0; c < 12; c++) {
      const big = turnOf(`models-big${c}`, 0);
      await sdk.messages.create(big.body);
      assert.notEqual(whereIs(backends, big.nonce).index, 1, 'main-model never goes to the small-model server');
      const small = turnOf(`models-small${c}`, 0);
      await sdk.messages.create({ ...small.body, model: 'claude-haiku-4-5' });
      const at = whereIs(backends, small.nonce).index;
      assert.equal(at, 1, 'small-model only goes to its server');
      assert.equal(JSON.parse(backends[1].requests().at(-1).body).model, 'small-model');
    }
  } finally {
    await gw.stop();
  }
  // A model no backend lists: a clear 400 that says what to change, and nothing sent upstream.
  fs.writeFileSync(file, JSON.stringify({
    mode: 'openai', model: 'main-model', 'small-model': 'small-model',
    backends: [{ url: backends[0].url, models: ['main-model'] }, { url: backends[2].url, models: ['main-model'] }],
  }));
  const gw2 = await startGateway({ envOnly: true, logLevel: 'info', args: ['--config', file, ...FAST] });
  try {
    const before = backends.map((b) => b.requests().length);
    const err = await client(gw2).messages.create({ ...turnOf('unserved', 0).body, model: 'claude-haiku-4-5' }).catch((e) => e);
    assert.ok(err instanceof APIError, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.type, 'invalid_request_error');
    assert.match(err.error?.error?.message ?? '', /^no backend of the fleet serves model 'small-model': add it to a backend's "models"/);
    assert.deepEqual(backends.map((b) => b.requests().length), before);
  } finally {
    await gw2.stop();
    removeDir(dir);
  }
});

test('one backend: the key header goes upstream too (for a router in front), and an empty name turns it off', { timeout: 30000 }, async () => {
  for (const [extra, want] of [[[], /^[0-9a-f]{16}$/], [['--route-key-header', 'x-session-affinity'], /^[0-9a-f]{16}$/], [['--route-key-header', ''], undefined]]) {
    backends[0].reset();
    const gw = await startGateway({ backendUrl: backends[0].url, model: 'main-model', logLevel: 'info', args: extra });
    try {
      const t = turnOf('single', 0);
      await client(gw).messages.create(t.body);
      const headers = backends[0].requests().at(-1).headers;
      const name = extra[1] || KEY_HEADER;
      if (want) assert.match(headers[name] ?? '', want, `${name} with ${extra.join(' ')}`);
      else assert.ok(!Object.keys(headers).some((h) => h.startsWith('x-anyclaude') || h === 'x-session-affinity'), JSON.stringify(headers));
      assert.equal((await health(gw)), undefined, 'no fleet object for one backend');
    } finally {
      await gw.stop();
    }
  }
});
