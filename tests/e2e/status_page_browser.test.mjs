// The status page in a real browser: headless Chromium (Debian's chromium, installed by
// scripts/setup.sh) opens / on an embedded gateway that has answered a few requests of two
// sessions, runs the page's script against /status.json, and the DOM it builds shows those
// sessions (turn counts, tiers) and requests; a screenshot is saved (ANYCLAUDE_SCREENSHOT=path
// keeps it, e.g. docs/status_page.png). With --api-key the page shows its login form and no data
// without the key (or with a wrong one), and the data with it (/#key=..., kept in sessionStorage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runProcess } from './lib/procs.mjs';
import { tinyModelForFile, withEmbedded, followUp, sendTurn, CC_HEADERS } from './lib/embedded.mjs';

const tiny = tinyModelForFile('status-page', { neverStop: true });
const CHROMIUM = process.env.ANYCLAUDE_CHROMIUM ?? '/usr/bin/chromium';
const KEY = 'test-key';  // what the tests' SDK client sends (lib/sdk.mjs)

// Chromium as root needs --no-sandbox; the virtual time budget lets the page's fetches and first
// refreshes run before the DOM is dumped or the screenshot taken.
async function chromium(extra, url) {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: run scripts/setup.sh (it installs Debian's chromium)`);
  const dataDir = fs.mkdtempSync(path.join(tiny.dir, 'chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
    `--user-data-dir=${dataDir}`, '--virtual-time-budget=6000', '--window-size=1280,1500', ...extra, url];
  const r = await runProcess(CHROMIUM, args, {}, 60000);
  assert.equal(r.code, 0, `chromium failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

const state = (dom) => dom.match(/<body[^>]*data-state="(\w+)"/)?.[1];
// The rows of a table body, each as its cells' text.
function rows(dom, tableId) {
  const table = dom.match(new RegExp(`<table id="${tableId}">[\\s\\S]*?</table>`))?.[0] ?? '';
  const body = table.match(/<tbody>([\s\S]*?)<\/tbody>/)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]));
}

const conversation = (topic) => ({
  model: 'claude-sonnet-5-5', max_tokens: 6,
  system: [{ type: 'text', text: `You answer questions about ${topic}. `.repeat(10) }],
  messages: [{ role: 'user', content: [{ type: 'text', text: `Tell me about ${topic}.`, cache_control: { type: 'ephemeral' } }] }],
});

test('the status page shows the sessions and requests served, in headless Chromium, and needs the key', { timeout: 150000 }, async (t) => {
  await withEmbedded({ ...tiny, args: ['--api-key', KEY] }, async (gw, sdk) => {
    const a1 = conversation('rivers');
    const r1 = await sendTurn(sdk, a1, { stream: true, headers: { ...CC_HEADERS, 'x-claude-code-session-id': 'session-rivers' } });
    const a2 = followUp(a1, r1.text, 'And the longest one?');
    const r2 = await sendTurn(sdk, a2, { stream: true, headers: { ...CC_HEADERS, 'x-claude-code-session-id': 'session-rivers' } });
    await sendTurn(sdk, followUp(a2, r2.text, 'Thanks.'), { stream: true, headers: { ...CC_HEADERS, 'x-claude-code-session-id': 'session-rivers' } });
    await sendTurn(sdk, conversation('mountains'), { stream: true, headers: { ...CC_HEADERS, 'x-claude-code-session-id': 'session-mountains' } });

    const dom = await chromium(['--dump-dom'], `${gw.url}/#key=${KEY}`);
    assert.equal(state(dom), 'loaded', `the page did not load its data:\n${dom.slice(0, 3000)}`);
    const sessions = rows(dom, 'sessions');
    t.diagnostic(`sessions: ${JSON.stringify(sessions)}`);
    assert.deepEqual(sessions.map((r) => [r[0], r[1]]), [['session-mountains', '1'], ['session-rivers', '3']]);
    assert.equal(sessions[1][4], 'live', 'the last river turn reused its live sequence');
    const requests = rows(dom, 'requests');
    assert.equal(requests.length, 4);
    assert.deepEqual(requests.map((r) => r[2]), ['session-mountains', 'session-rivers', 'session-rivers', 'session-rivers']);
    for (const r of requests) {
      assert.equal(r[4], '200');
      assert.match(r[6], /^\d+$/, 'a TTFT in ms');
    }
    assert.match(dom, /<div id="model" class="big">[^<]+<\/div>/);
    assert.match(dom, /<div id="window" class="muted">16384 tokens/);

    const shot = path.join(tiny.dir, 'status_page.png');
    await chromium([`--screenshot=${shot}`, '--hide-scrollbars'], `${gw.url}/#key=${KEY}`);
    assert.ok(fs.statSync(shot).size > 10000, 'a screenshot was written');
    if (process.env.ANYCLAUDE_SCREENSHOT) fs.copyFileSync(shot, process.env.ANYCLAUDE_SCREENSHOT);

    for (const url of [`${gw.url}/`, `${gw.url}/#key=wrong`]) {
      const refused = await chromium(['--dump-dom'], url);
      assert.equal(state(refused), 'login', `${url}: the login form`);
      assert.equal(rows(refused, 'sessions').length, 0, `${url}: no data without the key`);
      assert.doesNotMatch(refused, /session-rivers/);
    }
  });
});
