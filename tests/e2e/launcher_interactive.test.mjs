// The interactive screen of real Claude Code 2.1.328 through `anyclaude claude`, offline, in a
// terminal (tmux), with a scratch HOME that has no Claude Code state yet: as a new user would.
// Without the launcher's first-run state Claude Code stops at "Unable to connect to Anthropic
// services" (its onboarding checks api.anthropic.com), and then asks whether to use the API key
// it found, with "No" preselected. With it, only the folder-trust question remains (a safety
// question the launcher leaves to the person; answered here as a person would), then a prompt
// typed gets the backend's answer on screen and /exit ends the launcher with status 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start } from './scripted_backend.mjs';
import { CLAUDE_BIN, gatewayBin } from './lib/paths.mjs';
import { scratchDir, removeDir } from './lib/procs.mjs';
import { startInTmux, tmuxAvailable } from './lib/launcher_tmux.mjs';

const STEP_MS = 60000;
let backend;
let dir;
before(async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `claude CLI not found at ${CLAUDE_BIN} (run npm install)`);
  assert.ok(tmuxAvailable(), 'tmux not found (scripts/setup.sh installs it)');
  backend = await start({ port: 0, models: ['served-model'] });
  dir = scratchDir('launcher-tty');
});
after(async () => { await backend?.close(); removeDir(dir); });

// Types text into the input box until it shows exactly that, then presses Enter.
async function typeLine(term, text) {
  // (Claude Code draws the space after ❯ as a no-break space; \s covers both.)
  const shown = (s) => s.split('\n').some((l) => l.replace(/\s+/g, ' ').trim() === `❯ ${text}`);
  await term.until((s) => {
    if (!/^❯\s*$/m.test(s)) term.keys('C-u');  // clear what a dropped redraw left half-typed
    term.type(text);
  }, shown, STEP_MS, `"${text}" in the input box`);
  term.keys('Enter');
}

test('anyclaude claude: the interactive screen starts offline, answers a prompt and exits on /exit', { timeout: 5 * STEP_MS }, async (t) => {
  const home = path.join(dir, 'home');
  const project = path.join(dir, 'project');
  fs.mkdirSync(home);
  fs.mkdirSync(project);
  backend.script([{ kind: 'text', text: 'Interactive hello from the scripted backend', match: { has_tools: true } }]);
  const term = startInTmux({
    dir,
    cwd: project,
    cmd: gatewayBin(),
    args: ['claude'],
    env: {
      PATH: process.env.PATH, HOME: home, TMPDIR: home, ANYCLAUDE_CLAUDE_BIN: CLAUDE_BIN, DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1', ANYCLAUDE_MODE: 'openai', ANYCLAUDE_BACKEND_URL: backend.url, ANYCLAUDE_CONTEXT_WINDOW: '65536',
    },
  });
  const said = () => `--- terminal log (tail) ---\n${term.log().slice(-3000)}`;
  try {
    await term.waitFor('Yes, I trust this folder', STEP_MS, 'the folder-trust question');
    const first = term.screen();
    assert.ok(!first.includes('Unable to connect to Anthropic services'), first);
    const yes = (s) => /❯\s*(\d\.\s*)?Yes, I trust this folder/.test(s);
    do await term.until(() => term.keys('Down'), yes, STEP_MS, '"Yes" selected');
    while (!(await term.stays(yes, 1000)));
    term.keys('Enter');
    // Ready: the input box under the welcome header, no question on screen.
    const ready = await term.waitFor((s) => s.includes('Claude Code v') && /^❯\s*$/m.test(s) && !s.includes('Enter to confirm'),
      STEP_MS, 'the prompt');
    assert.ok(!ready.includes('Detected a custom API key'), `the gateway's key needs no approval: ${ready}`);
    await typeLine(term, 'say hello');
    const answered = await term.waitFor('Interactive hello from the scripted backend', STEP_MS, 'the answer');
    t.diagnostic(answered.split('\n').filter((l) => l.trim()).slice(-8).join('\n'));
    await term.waitFor((s) => /^❯\s*$/m.test(s), STEP_MS, 'the prompt again');
    await typeLine(term, '/exit');
    assert.equal(await term.waitExit(STEP_MS), 0, `exit status\n${term.screen()}`);
  } catch (err) {
    err.message += `\n${said()}`;
    throw err;
  } finally {
    term.kill();
  }
  const log = term.log();
  assert.match(log, /anyclaude: Claude Code first-run state in .*\.claude\.json \(so it starts offline\): onboarding done, the gateway's key approved/);
  assert.match(log, /anyclaude: Claude Code gets served-model's 65536-token window/);
  const state = JSON.parse(fs.readFileSync(path.join(home, '.claude.json'), 'utf8'));
  assert.equal(state.hasCompletedOnboarding, true);
  assert.deepEqual(state.customApiKeyResponses.approved, ['anyclaude-local']);
  const main = backend.requests().map((r) => JSON.parse(r.body)).find((b) => b.tools?.length);
  assert.equal(main?.model, 'served-model', 'the turn reached the backend with the local model id');
});
