// Images never poison a session. Real Claude Code 2.1.328 reads a screenshot (its Read tool
// returns the PNG as an image block) in front of a text-only backend that refuses images the way
// the pinned llama-server does without --mmproj (HTTP 500 "image input is not supported - hint:
// ..."): the gateway learns the model reads text only, sends that turn again with a placeholder,
// and the session goes on for ten more turns (claude -p --continue), each history carrying the
// image, none of them refused. With --vision-model, a request carrying the image goes to the
// vision model instead and keeps the image.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { start } from './scripted_backend.mjs';
import { startGateway } from './lib/gateway.mjs';
import { CLAUDE_BIN } from './lib/paths.mjs';
import { runProcess, scratchDir, removeDir } from './lib/procs.mjs';

const CLAUDE_TIMEOUT_MS = 90000;
// llama-server (pinned build) without --mmproj: server-common.cpp throws a runtime_error, which
// its handler wrapper answers as 500 server_error.
const LLAMA_SERVER_NO_IMAGES = {
  kind: 'error', status: 500,
  body: { error: { code: 500, message: 'image input is not supported - hint: if this is unexpected, you may need to provide the mmproj', type: 'server_error' } },
  match: { contains: '"image_url"' },
};
const PLACEHOLDER = /\[image: image\/png, \d+ KB, not shown: the model reads text only\]/;

let backend, home, project;
before(async () => { assert.ok(fs.existsSync(CLAUDE_BIN)); backend = await start({ port: 0 }); });
after(async () => { await backend?.close(); removeDir(home); removeDir(project); });
beforeEach(() => {
  backend.reset();
  removeDir(home);
  removeDir(project);
  home = scratchDir('home');
  project = scratchDir('project');
});

// A real 64x48 RGB PNG (a screenshot stand-in).
function png(width = 64, height = 48) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  const rows = Buffer.concat(Array.from({ length: height }, (_, y) => Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width * 3 }, (_, i) => (i * 7 + y * 13) & 255))])));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

const claudeEnv = (gw) => ({
  PATH: process.env.PATH, HOME: home, TMPDIR: home, ANTHROPIC_API_KEY: 'any', ANTHROPIC_BASE_URL: gw.url,
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1',
});
const describe = (r, gw) => `exit ${r.code}${r.timedOut ? ' TIMED OUT' : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr.slice(-3000)}\n--- gateway ---\n${gw.logs().slice(-5000)}`;
const mains = () => backend.requests().filter((r) => JSON.parse(r.body).tools?.length);

// Turn 1: the model reads screenshot.png; Claude Code sends the image back in the tool result.
async function screenshotTurn(gw) {
  const file = path.join(project, 'screenshot.png');
  fs.writeFileSync(file, png());
  backend.script([{ kind: 'tool_calls', calls: [{ name: 'Read', arguments: { file_path: file } }], match: { has_tools: true, lacks_role: 'tool' } }]);
  return runProcess(CLAUDE_BIN, ['-p', 'What does screenshot.png show?', '--allowedTools', 'Read'], { cwd: project, env: claudeEnv(gw) }, CLAUDE_TIMEOUT_MS);
}

test('a text-only backend that refuses images: the screenshot session goes on for ten more turns', { timeout: 12 * CLAUDE_TIMEOUT_MS }, async () => {
  const gw = await startGateway({ backendUrl: backend.url, model: 'main-model', logLevel: 'info' });
  try {
    backend.script(Array.from({ length: 30 }, () => LLAMA_SERVER_NO_IMAGES));
    backend.setDefault({ kind: 'text', text: 'Answered without seeing images.' });
    const r = await screenshotTurn(gw);
    assert.equal(r.code, 0, describe(r, gw));
    assert.ok(r.stdout.includes('Answered without seeing images.'), describe(r, gw));
    for (let turn = 2; turn <= 11; ++turn) {
      const t = await runProcess(CLAUDE_BIN, ['-p', '--continue', `Turn ${turn}: anything else?`], { cwd: project, env: claudeEnv(gw) }, CLAUDE_TIMEOUT_MS);
      assert.equal(t.code, 0, `turn ${turn}: ${describe(t, gw)}`);
      assert.ok(t.stdout.includes('Answered without seeing images.'), `turn ${turn}: ${describe(t, gw)}`);
    }
    const reqs = mains();
    const withImage = reqs.filter((x) => x.body.includes('"image_url"'));
    assert.equal(withImage.length, 1, 'only the first request with the image was sent as an image (and refused)');
    assert.equal(withImage[0].status, 500);
    const later = reqs.filter((x) => x.seq > withImage[0].seq);
    assert.ok(later.length >= 11, `the retry and ten turns reached the backend (${later.length})`);
    for (const x of later) assert.match(x.body, PLACEHOLDER, 'every later request carries the placeholder');
    assert.ok(later.every((x) => x.status === 200));
    const last = JSON.parse(later.at(-1).body);
    assert.ok(JSON.stringify(last.messages).includes('Turn 11: anything else?'), 'the last turn holds the whole session');
    assert.match(gw.logs(), /model 'main-model' .* reads text only \(it rejected an image\)/);
  } finally {
    await gw.stop();
  }
});

test('--vision-model: the request carrying the screenshot goes to the vision model with its image', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  const gw = await startGateway({ backendUrl: backend.url, model: 'main-model', logLevel: 'info', args: ['--vision-model', 'vision-model'] });
  try {
    backend.script([{ ...LLAMA_SERVER_NO_IMAGES, match: { contains: '"image_url"', model: 'main-model' } }]);
    backend.script([{ kind: 'text', text: 'A colourful gradient.', match: { model: 'vision-model' } }]);
    backend.setDefault({ kind: 'text', text: 'text model answer' });
    const r = await screenshotTurn(gw);
    assert.equal(r.code, 0, describe(r, gw));
    assert.ok(r.stdout.includes('A colourful gradient.'), describe(r, gw));
    const reqs = mains().map((x) => ({ ...x, json: JSON.parse(x.body) }));
    assert.equal(reqs[0].json.model, 'main-model', 'the turn without an image stays on the main model');
    const imageTurn = reqs.find((x) => x.body.includes('"image_url"'));
    assert.equal(imageTurn?.json.model, 'vision-model', 'the image turn went to the vision model');
    assert.equal(imageTurn.status, 200);
    assert.ok(!reqs.some((x) => x.json.model === 'main-model' && x.body.includes('"image_url"')), 'the text model never got the image');
  } finally {
    await gw.stop();
  }
});
