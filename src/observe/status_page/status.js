// The status page's script: fetches /status.json (with the key from sessionStorage when the
// gateway has one), renders cards and tables with textContent only (no markup from data), and
// draws the chosen session's TTFT and cached fraction per turn on a canvas. No libraries.
'use strict';
const KEY = 'anyclaude-key';
const $ = (id) => document.getElementById(id);
let chosen = null;

const mib = (b) => (b / 1048576).toFixed(b < 10485760 ? 1 : 0) + ' MiB';
const pct = (x) => (100 * x).toFixed(0) + '%';
const ago = (ms) => { const s = Math.max(0, (Date.now() - ms) / 1000); return s < 60 ? s.toFixed(0) + ' s ago' : s < 3600 ? (s / 60).toFixed(0) + ' min ago' : (s / 3600).toFixed(1) + ' h ago'; };
const base = (p) => (p || '').split('/').pop();  // an embedded model is a file path
const fixed = (x, d = 0) => (x === undefined || x === null ? '' : Number(x).toFixed(d));

function row(tbody, cells, attrs = {}) {
  const tr = document.createElement('tr');
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); }
  tbody.appendChild(tr);
  return tr;
}

function bar(id, used, total) { $(id).style.width = total > 0 ? Math.min(100, 100 * used / total) + '%' : '0'; }

function renderCards(d) {
  const g = d.gateway;
  $('backend').textContent = g.backend + ' (' + g.mode + ')';
  $('model').textContent = base(g.model) || '(backend default)';
  $('window').textContent = g.context_window ? g.context_window + ' tokens (' + g.window_source + ')' : 'window not known yet';
  $('reqcount').textContent = g.requests;
  $('inflight').textContent = g.in_flight + ' in flight' + (d.engine ? ', ' + d.engine.queue_depth + ' queued' : '');
  const e = d.engine;
  $('kv').textContent = e ? e.kv_cells_used + ' / ' + e.kv_cells : 'upstream';
  $('ram').textContent = e ? mib(e.ram_bytes) + ' / ' + mib(e.ram_budget_bytes) + ' (' + e.ram_entries + ')' : '-';
  $('disk').textContent = e ? mib(e.disk_bytes) + ' / ' + mib(e.disk_budget_bytes) + ' (' + e.disk_entries + ')' : '-';
  if (e) { bar('kvbar', e.kv_cells_used, e.kv_cells); bar('rambar', e.ram_bytes, e.ram_budget_bytes); bar('diskbar', e.disk_bytes, e.disk_budget_bytes); }
}

function renderSessions(d) {
  const tb = $('sessions').tBodies[0];
  tb.textContent = '';
  // Until one is clicked, the chart shows the session with the most turns.
  if (!chosen && d.sessions.length) chosen = d.sessions.reduce((a, b) => (b.turns > a.turns ? b : a)).key;
  for (const s of d.sessions) {
    const tr = row(tb, [s.key, s.turns, s.prompt_tokens, s.prompt_tokens ? pct(s.cached_tokens / s.prompt_tokens) : '', s.tier || '-', s.held, ago(s.last_epoch_ms)], { 'data-key': s.key });
    if (s.key === chosen) tr.classList.add('chosen');
    tr.onclick = () => { chosen = s.key; renderSessions(d); drawChart(d); };
  }
}

function renderSequences(d) {
  const tb = $('sequences').tBodies[0];
  tb.textContent = '';
  for (const q of d.sequences)
    row(tb, [q.seq, q.tokens, q.busy ? 'busy' : q.tokens ? 'idle, holding' : 'empty', q.role, q.last_used_epoch_ms ? ago(q.last_used_epoch_ms) : '']);
}

function renderRequests(d) {
  const tb = $('requests').tBodies[0];
  tb.textContent = '';
  for (const r of d.requests.slice().reverse()) {
    const prompt = (r.input_tokens || 0) + (r.cache_read_input_tokens || 0) + (r.cache_creation_input_tokens || 0);
    const cached = r.reused_tokens !== undefined ? r.reused_tokens : r.cache_read_input_tokens || 0;
    row(tb, [r.time.slice(11, 19), r.route, r.session || '-', base(r.model_served), r.status, r.stop_reason || (r.client_disconnect ? 'client gone' : r.error_type || ''),
      fixed(r.ttft_ms), fixed(r.total_ms), r.route === 'messages' ? prompt : '', r.route === 'messages' && prompt ? pct(cached / prompt) : '',
      r.tier || '', r.output_tokens ?? '', fixed(r.queue_wait_ms, 1)], { 'data-session': r.session || '-' });
  }
}

// TTFT bars (left axis, ms) and the cached fraction as a line (right axis, 0-100%) per turn.
function drawChart(d) {
  const s = d.sessions.find((x) => x.key === chosen);
  $('chart-title').textContent = s ? s.key + ' (' + s.series.length + ' turns)' : 'no session';
  const c = $('chart'), ctx = c.getContext('2d');
  const css = getComputedStyle(document.documentElement);
  ctx.clearRect(0, 0, c.width, c.height);
  if (!s || !s.series.length) return;
  const pad = 36, w = c.width - 2 * pad, h = c.height - 2 * pad, n = s.series.length;
  const maxT = Math.max(1, ...s.series.map((t) => t.ttft_ms || 0));
  ctx.fillStyle = css.getPropertyValue('--muted');
  ctx.font = '11px system-ui';
  ctx.fillText(maxT.toFixed(0) + ' ms', 2, pad - 6);
  ctx.fillText('100%', c.width - pad + 4, pad - 6);
  const step = w / n;
  s.series.forEach((t, i) => {
    const bh = ((t.ttft_ms || 0) / maxT) * h;
    ctx.fillStyle = css.getPropertyValue('--accent');
    ctx.fillRect(pad + i * step + step * 0.2, pad + h - bh, step * 0.6, bh);
    ctx.fillStyle = css.getPropertyValue('--muted');
    if (n <= 40) ctx.fillText(String(i + 1), pad + i * step + step * 0.4, c.height - pad + 14);
  });
  ctx.strokeStyle = css.getPropertyValue('--ok');
  ctx.lineWidth = 2;
  ctx.beginPath();
  s.series.forEach((t, i) => {
    const x = pad + i * step + step / 2, y = pad + h - t.cached_fraction * h;
    i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
  });
  ctx.stroke();
  s.series.forEach((t, i) => { ctx.fillStyle = css.getPropertyValue('--ok'); ctx.beginPath(); ctx.arc(pad + i * step + step / 2, pad + h - t.cached_fraction * h, 3, 0, 7); ctx.fill(); });
}

function askKey(why) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-why').textContent = why;
  $('login-why').className = 'err';
  document.body.dataset.state = 'login';
}

async function refresh() {
  const key = sessionStorage.getItem(KEY);
  let res;
  try {
    res = await fetch('/status.json', { headers: key ? { 'x-api-key': key } : {}, cache: 'no-store' });
  } catch (e) {
    $('updated').textContent = 'gateway not answering';
    return;
  }
  if (res.status === 401) {
    askKey(key ? 'That key was refused; this gateway needs its API key.' : 'This gateway needs its API key.');
    return;
  }
  const d = await res.json();
  $('login').hidden = true;
  $('main').hidden = false;
  renderCards(d);
  renderSessions(d);
  renderSequences(d);
  renderRequests(d);
  drawChart(d);
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  document.body.dataset.state = 'loaded';
}

// A key in the address's fragment (/#key=...: never sent to the server) is taken once and removed
// from the address bar, for links printed by scripts and for the headless browser test.
if (location.hash.startsWith('#key=')) {
  sessionStorage.setItem(KEY, decodeURIComponent(location.hash.slice(5)));
  history.replaceState(null, '', location.pathname);
}

$('login').onsubmit = (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(KEY, $('key').value);
  refresh();
};
refresh();
setInterval(() => { if (document.body.dataset.state !== 'login') refresh(); }, 2000);
