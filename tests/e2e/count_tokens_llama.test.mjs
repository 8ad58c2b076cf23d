// count_tokens in openai mode in front of a real llama-server built from the pinned llama.cpp
// (bench/session/setup_llama_server.sh) on the tiny test model: for each of Claude Code
// 2.1.328's captured requests, the gateway's count_tokens equals the prompt tokens llama-server
// then reports for that request (usage input + cache_read + cache_creation), and /health names
// the method. The estimate the gateway used before (still used for servers that cannot count)
// is printed beside it. Skipped, with a line saying so, only when the llama-server binary is
// absent (LLAMA_SERVER_BIN overrides its path).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start } from './scripted_backend.mjs';
import { startGateway } from './lib/gateway.mjs';
import { makeTinyModel } from './lib/embedded.mjs';
import { readFixture } from './lib/paths.mjs';
import { startProcess, scratchDir, removeDir, waitFor } from './lib/procs.mjs';

const LLAMA_SERVER = process.env.LLAMA_SERVER_BIN
  ?? path.join(os.homedir(), '.cache/anyclaude/llama.cpp/node-llama-cpp-3.22.1/build-server/bin/llama-server');
const SKIP = fs.existsSync(LLAMA_SERVER) ? false
  : `llama-server not built at ${LLAMA_SERVER}: run bench/session/setup_llama_server.sh (or set LLAMA_SERVER_BIN)`;
const FIXTURES = ['capture-first.json', 'capture-followup.json', 'capture-toolresult-followup.json',
  'capture-interactive-first.json', 'capture-side-1.json'];

let dir, server, gw, estimating, scripted;
before(async () => {
  if (SKIP) return;
  dir = scratchDir('count-llama');
  const model = await makeTinyModel(dir);
  // llama-server takes a port number, not 0. Below Linux's ephemeral range (32768-60999), so no
  // outgoing connection holds it; another test's listener still can (a CI run lost one such race:
  // "couldn't bind HTTP server socket"), so a failed bind tries another port.
  let url;
  for (let attempt = 0; !url; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    server = startProcess(LLAMA_SERVER, ['-m', model, '--host', '127.0.0.1', '--port', String(port), '-c', '20480',
      '-np', '1', '-t', '2', '--jinja', '--no-webui'], { env: { PATH: process.env.PATH, HOME: dir } });
    const up = await waitFor(async () => {
      if (server.child.exitCode !== null) {
        if (attempt < 4 && /couldn't bind/.test(server.output())) return 'retry';
        throw new Error(`llama-server exited:\n${server.output().slice(-3000)}`);
      }
      try { return (await fetch(`http://127.0.0.1:${port}/health`)).ok; } catch { return false; }
    }, 120000, 'llama-server /health', 100);
    if (up !== 'retry') url = `http://127.0.0.1:${port}`;
  }
  gw = await startGateway({ backendUrl: `${url}/v1`, model: 'tiny', logLevel: 'info', args: ['--max-tokens-cap', '1'] });
  scripted = await start({ port: 0 });  // answers no counting endpoint: the estimate
  estimating = await startGateway({ backendUrl: scripted.url, model: 'tiny' });
});
after(async () => { await gw?.stop(); await estimating?.stop(); await scripted?.close(); await server?.stop(); removeDir(dir); });

async function post(g, p, body) {
  const r = await fetch(`${g.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' }, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

test('count_tokens equals the prompt tokens llama-server reports, for every captured Claude Code request', { skip: SKIP, timeout: 600000 }, async (t) => {
  for (const name of FIXTURES) {
    const req = JSON.parse(readFixture(name));
    const { stream, max_tokens, ...countBody } = req;
    const counted = await post(gw, '/v1/messages/count_tokens', countBody);
    assert.equal(counted.status, 200, `${name}: ${JSON.stringify(counted.json)}`);
    const answered = await post(gw, '/v1/messages', { ...req, stream: false, max_tokens: 1 });
    assert.equal(answered.status, 200, `${name}: ${JSON.stringify(answered.json)}\n${gw.logs().slice(-3000)}`);
    const u = answered.json.usage;
    const reported = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
    const estimate = (await post(estimating, '/v1/messages/count_tokens', countBody)).json.input_tokens;
    t.diagnostic(`${name}: counted ${counted.json.input_tokens}, llama-server reported ${reported}, estimate ${estimate} (${((estimate / reported - 1) * 100).toFixed(1)}%)`);
    assert.equal(counted.json.input_tokens, reported, `${name}: count_tokens vs the prompt llama-server processed`);
  }
  const health = await (await fetch(`${gw.url}/health`)).json();
  assert.equal(health.count_tokens, 'llama-server /v1/chat/completions/input_tokens');
  // The burst /context sends: the same requests again are answered from the cache.
  const t0 = performance.now();
  for (const name of FIXTURES) {
    const { stream, max_tokens, ...countBody } = JSON.parse(readFixture(name));
    assert.equal((await post(gw, '/v1/messages/count_tokens', countBody)).status, 200);
  }
  t.diagnostic(`${FIXTURES.length} repeated counts in ${(performance.now() - t0).toFixed(1)} ms`);
});
