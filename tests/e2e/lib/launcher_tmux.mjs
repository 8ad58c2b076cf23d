// A terminal for interactive programs in the e2e tests: one tmux server of its own (its socket
// in the test's folder, no user config), one window of a fixed size running a command with
// exactly the given environment; the screen is read with capture-pane and waited on with a
// deadline (no fixed sleeps), keys are sent as a person types them, and everything the program
// printed (including what a full-screen program later clears) is kept in a log through pipe-pane.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { sleep } from './procs.mjs';

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

export function tmuxAvailable() {
  try { execFileSync('tmux', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; }
}

// Starts `cmd args...` in cwd with env only (plus TERM from tmux) on a width x height screen.
// Returns {screen(), log(), waitFor(test, timeoutMs, what), until(action, check, timeoutMs, what),
// stays(check, ms), keys(...names), type(text),
// exitCode() (null while running), waitExit(timeoutMs), kill()}.
export function startInTmux({ dir, cwd, env, cmd, args = [], width = 160, height = 50 }) {
  const sock = path.join(dir, 'tmux.sock');  // removed with dir
  const go = path.join(dir, 'go');
  const exitFile = path.join(dir, 'exit-status');
  const logFile = path.join(dir, 'terminal.log');
  const runner = path.join(dir, 'run.sh');
  // The command waits for `go` so that pipe-pane is attached before its first byte.
  fs.writeFileSync(runner, [
    '#!/bin/sh',
    `while [ ! -e ${quote(go)} ]; do sleep 0.02; done`,
    `cd ${quote(cwd)}`,
    `env -i TERM="$TERM" ${Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ')} ${[cmd, ...args].map(quote).join(' ')}`,
    `echo $? > ${quote(exitFile)}`,
    'sleep 600',
    '',
  ].join('\n'), { mode: 0o755 });
  const tmux = (...a) => execFileSync('tmux', ['-S', sock, '-f', '/dev/null', ...a], { encoding: 'utf8' });
  tmux('new-session', '-d', '-s', 'main', '-x', String(width), '-y', String(height), runner);
  tmux('pipe-pane', '-o', '-t', 'main', `cat >> ${quote(logFile)}`);
  fs.writeFileSync(go, '');

  const screen = () => tmux('capture-pane', '-p', '-t', 'main');
  const exitCode = () => (fs.existsSync(exitFile) ? Number(fs.readFileSync(exitFile, 'utf8').trim()) : null);
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  async function waitFor(test, timeoutMs, what) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = screen();
      if (typeof test === 'string' ? s.includes(test) : test(s)) return s;
      if (exitCode() !== null) throw new Error(`exited (${exitCode()}) while waiting for ${what}\n--- screen ---\n${s}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- screen ---\n${s}`);
      await sleep(100);
    }
  }
  // Repeats action until check(screen) holds (each try waits up to tryMs): keys sent while a
  // full-screen program is still setting up its terminal can be dropped or undone by a redraw.
  async function until(action, check, timeoutMs, what, tryMs = 3000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (check(screen())) return screen();
      action(screen());
      const tryEnd = Math.min(end, Date.now() + tryMs);
      while (Date.now() < tryEnd && !check(screen())) await sleep(100);
      if (check(screen())) return screen();
      if (exitCode() !== null) throw new Error(`exited (${exitCode()}) while trying to get ${what}\n--- screen ---\n${screen()}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms trying to get ${what}\n--- screen ---\n${screen()}`);
    }
  }
  // True when check(screen) holds at every poll for ms (a redraw can still undo a selection).
  async function stays(check, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (!check(screen())) return false;
      await sleep(100);
    }
    return check(screen());
  }
  return {
    screen,
    until,
    stays,
    log,
    exitCode,
    waitFor,
    keys: (...names) => { tmux('send-keys', '-t', 'main', ...names); },
    type: (text) => { tmux('send-keys', '-t', 'main', '-l', text); },
    async waitExit(timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (exitCode() === null) {
        if (Date.now() > end) throw new Error(`still running after ${timeoutMs} ms\n--- screen ---\n${screen()}`);
        await sleep(100);
      }
      return exitCode();
    },
    kill() { try { tmux('kill-server'); } catch { /* already gone */ } },
  };
}
