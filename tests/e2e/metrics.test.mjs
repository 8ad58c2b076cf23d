// GET /metrics against the embedded engine on the tiny model: scraped before and after known
// requests, the deltas add up against /health's engine counters and what was sent: prompt tokens
// reused by tier (a follow-up reuses its live sequence; with one sequence, a conversation pushed
// out by another comes back from the RAM tier), computed and generated tokens, one TTFT per
// streamed answer, requests by route and status, and one client disconnect for one abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './lib/procs.mjs';
import { tinyModelForFile, withEmbedded, engineStats, followUp, sendTurn, CC_HEADERS } from './lib/embedded.mjs';

const tiny = tinyModelForFile('metrics', { neverStop: true });

// Prometheus text format -> Map of 'name{labels}' -> value (comments skipped).
export function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(gw) {
  const res = await fetch(`${gw.url}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

// The sum of a family's series whose labels include every pair in `labels`.
function sum(m, name, labels = {}) {
  let total = 0;
  for (const [k, v] of m) {
    const brace = k.indexOf('{');
    if ((brace < 0 ? k : k.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([l, want]) => k.includes(`${l}="${want}"`))) total += v;
  }
  return total;
}
const delta = (a, b, name, labels) => sum(b, name, labels) - sum(a, name, labels);

const conversation = (topic) => ({
  model: 'claude-sonnet-5-5',
  max_tokens: 8,
  system: [{ type: 'text', text: `You answer questions about ${topic}. `.repeat(12) }],
  messages: [{ role: 'user', content: [{ type: 'text', text: `Tell me about ${topic}.`, cache_control: { type: 'ephemeral' } }] }],
});

test('metrics deltas add up against /health: tokens reused by tier, TTFT count, requests, disconnects', { timeout: 120000 }, async (t) => {
  await withEmbedded({ ...tiny, parallel: 1, maxTokensCap: 4000 }, async (gw, sdk) => {
    const m0 = await scrape(gw);
    const h0 = await engineStats(gw);
    const a1 = conversation('rivers');
    const ra1 = await sendTurn(sdk, a1, { stream: true });
    const a2 = followUp(a1, ra1.text, 'And the longest one?');
    const ra2 = await sendTurn(sdk, a2, { stream: true });
    await sendTurn(sdk, conversation('mountains'), { stream: true, headers: { ...CC_HEADERS, 'x-claude-code-session-id': 'other-session' } });
    await sendTurn(sdk, followUp(a2, ra2.text, 'Thanks.'), { stream: true });  // back from the RAM tier
    const m1 = await scrape(gw);
    const h1 = await engineStats(gw);

    const reused = { live: delta(m0, m1, 'anyclaude_prompt_tokens_reused_total', { tier: 'live' }),
                     ram: delta(m0, m1, 'anyclaude_prompt_tokens_reused_total', { tier: 'ram' }),
                     disk: delta(m0, m1, 'anyclaude_prompt_tokens_reused_total', { tier: 'disk' }) };
    t.diagnostic(`reused by tier ${JSON.stringify(reused)}; /health reused_from ${JSON.stringify(h1.reused_from)}`);
    assert.equal(reused.live + reused.ram + reused.disk, h1.reused_tokens - h0.reused_tokens);
    for (const tier of ['live', 'ram', 'disk'])
      assert.equal(reused[tier] > 0, h1.reused_from[tier] - h0.reused_from[tier] > 0, `tier ${tier}`);
    assert.ok(reused.live > 0 && reused.ram > 0, 'a live follow-up and a RAM-tier return');
    assert.equal(delta(m0, m1, 'anyclaude_prompt_tokens_computed_total'), h1.computed_tokens - h0.computed_tokens);
    assert.equal(delta(m0, m1, 'anyclaude_generated_tokens_total'), h1.generated_tokens - h0.generated_tokens);
    assert.equal(delta(m0, m1, 'anyclaude_time_to_first_token_seconds_count'), 4);
    assert.equal(delta(m0, m1, 'anyclaude_requests_total', { route: 'messages', status: '200' }), 4);
    assert.equal(delta(m0, m1, 'anyclaude_prefill_tokens_per_second_count'), 4);
    assert.ok(sum(m1, 'anyclaude_kv_cells') > 0 && sum(m1, 'anyclaude_kv_cells_used') > 0);
    assert.equal(sum(m1, 'anyclaude_cache_entries', { tier: 'ram' }), h1.cache.ram_snapshots);
    assert.equal(sum(m1, 'anyclaude_snapshots_total'), h1.snapshots_taken);

    // A client that goes away mid-answer: one disconnect, as /health's engine.cancelled says.
    const ctrl = new AbortController();
    const s = sdk.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 4000, messages: [{ role: 'user', content: 'A long story.' }] }, { signal: ctrl.signal });
    s.on('error', () => {});
    let deltas = 0;
    s.on('text', () => { deltas++; });
    const done = s.done().catch((e) => e);
    await waitFor(() => deltas >= 3, 20000, 'the first words');
    ctrl.abort();
    await done;
    await waitFor(async () => (await engineStats(gw)).cancelled - h1.cancelled >= 1, 5000, 'the engine to cancel');
    await waitFor(async () => delta(m1, await scrape(gw), 'anyclaude_client_disconnects_total') === 1, 5000, 'one disconnect counted');
    const m2 = await scrape(gw);
    assert.equal(delta(m1, m2, 'anyclaude_client_disconnects_total'), (await engineStats(gw)).cancelled - h1.cancelled);
    assert.equal(sum(m2, 'anyclaude_requests_in_flight'), 0);
  });
});

test('/metrics and /status.json need the key when the gateway has one', { timeout: 60000 }, async () => {
  await withEmbedded({ ...tiny, args: ['--api-key', 'k-metrics'] }, async (gw) => {
    for (const p of ['/metrics', '/status.json']) {
      assert.equal((await fetch(`${gw.url}${p}`)).status, 401, p);
      assert.equal((await fetch(`${gw.url}${p}`, { headers: { 'x-api-key': 'k-metrics' } })).status, 200, p);
    }
  });
});
