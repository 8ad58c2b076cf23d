// Records one interactive Claude Code session, as a person has it: real Claude Code 2.1.328
// started by `anyclaude claude` (the launcher: its first-run state, its window-derived
// environment, its own gateway, recording with ANYCLAUDE_RECORD) in a terminal (tmux,
// tests/e2e/lib/launcher_tmux.mjs), offline, in a fresh HOME, against the scripted agent
// (agent_backend.mjs) on the small repository (agent_repo.mjs). The folder-trust question is
// answered Yes; then each step is typed into the input box and awaited on screen:
//   a prompt of agent_plan.mjs PROMPTS (its final answer awaited), or '/compact' (Claude Code's
//   compaction request, then its "Compacted" notice), and '/exit' at the end (status 0).
// Only the interactive screen sends the session-title side request; /compact sends the
// compaction request with the whole conversation.
//
//   import { recordInteractive } from './record_interactive.mjs'
//   await recordInteractive({ bin, recDir, steps: ['A', '/compact', 'B'], repoDir, window: 32768 })
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLAUDE_BIN } from '../../tests/e2e/lib/paths.mjs';
import { startInTmux, tmuxAvailable } from '../../tests/e2e/lib/launcher_tmux.mjs';
import { startAgent } from './agent_backend.mjs';
import { makeRepo } from './agent_repo.mjs';
import { PROMPTS } from './agent_plan.mjs';

// What ends each prompt's turn on screen (the plan's final text).
const FINAL = { A: 'Fixed: greet() now falls back', B: 'Added farewell(name)' };
const IDLE = (s) => /^❯\s*$/m.test(s) && !/esc to interrupt/i.test(s);

// Types text into the input box until it shows exactly that, then presses Enter (a redraw can
// drop keys sent while Claude Code sets up its screen).
async function typeLine(term, text, stepMs) {
  const shown = (s) => s.split('\n').some((l) => l.replace(/\s+/g, ' ').trim() === `❯ ${text}`);
  await term.until((s) => {
    if (!/^❯\s*$/m.test(s)) term.keys('C-u');
    term.type(text);
  }, shown, stepMs, `"${text.slice(0, 40)}" in the input box`);
  term.keys('Enter');
}

// Runs the session; returns {screens: [screen after each step], log (terminal), ms}. opts: bin
// (anyclaude), recDir, steps, repoDir, window (ANYCLAUDE_CONTEXT_WINDOW), latencyMs, redact, stepMs,
// env (added to the launcher's environment).
export async function recordInteractive({ bin, recDir, steps, repoDir, window = 32768, latencyMs = 0, redact = false, stepMs = 120000, env = {} }) {
  if (!tmuxAvailable()) throw new Error('tmux not found (scripts/setup.sh installs it)');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'anyclaude-record-tty-'));
  const home = path.join(scratch, 'home');
  fs.mkdirSync(home);
  makeRepo(repoDir);
  const agent = await startAgent({ repo: repoDir, latencyMs });
  // Wide enough that the longest prompt fits on one line of the input box.
  const width = Math.max(160, ...Object.values(PROMPTS).map((p) => p.text.length + 20));
  const term = startInTmux({
    dir: scratch, cwd: repoDir, cmd: bin, width, height: 50,
    args: ['claude', '--permission-mode', 'dontAsk', '--allowedTools', 'Read Edit Bash Agent Glob Grep Write'],
    env: {
      PATH: process.env.PATH, HOME: home, TMPDIR: home, ANYCLAUDE_CLAUDE_BIN: CLAUDE_BIN, DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1', ANYCLAUDE_MODE: 'openai', ANYCLAUDE_BACKEND_URL: agent.url,
      ANYCLAUDE_CONTEXT_WINDOW: String(window), ANYCLAUDE_RECORD: recDir, ANYCLAUDE_RECORD_REDACT: String(redact), ...env,
    },
  });
  const screens = [];
  let log = '';
  const t0 = performance.now();
  try {
    await term.waitFor('Yes, I trust this folder', stepMs, 'the folder-trust question');
    const yes = (s) => /❯\s*(\d\.\s*)?Yes, I trust this folder/.test(s);
    do await term.until(() => term.keys('Down'), yes, stepMs, '"Yes" selected');
    while (!(await term.stays(yes, 1000)));
    term.keys('Enter');
    await term.waitFor((s) => s.includes('Claude Code v') && IDLE(s) && !s.includes('Enter to confirm'), stepMs, 'the prompt');
    for (const step of steps) {
      if (step === '/compact') {
        await typeLine(term, step, stepMs);
        await term.waitFor((s) => /Compacted/.test(s) && IDLE(s), stepMs, 'the compaction');
      } else {
        await typeLine(term, PROMPTS[step].text, stepMs);
        await term.waitFor((s) => s.includes(FINAL[step]) && IDLE(s), stepMs, `the answer to prompt ${step}`);
      }
      // Claude Code's own requests after a turn (the title among them) settle before the next step.
      while (!(await term.stays(IDLE, 3000))) await term.waitFor(IDLE, stepMs, 'the prompt again');
      screens.push(term.screen());
    }
    await typeLine(term, '/exit', stepMs);
    const code = await term.waitExit(stepMs);
    if (code !== 0) throw new Error(`anyclaude claude exited with ${code}`);
  } catch (err) {
    err.message += `\n--- screen ---\n${term.screen()}`;
    throw err;
  } finally {
    log = term.log();
    term.kill();
    await agent.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { screens, log, ms: performance.now() - t0 };
}
