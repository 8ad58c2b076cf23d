// Starts the real anyclaude gateway (`anyclaude serve --port 0 --port-file F ...`) against a
// backend URL, waits (bounded) for the port file, and stops it. Logs are kept for failures.
import fs from 'node:fs';
import path from 'node:path';
import { gatewayBin } from './paths.mjs';
import { startProcess, scratchDir, removeDir, waitFor } from './procs.mjs';

// opts: backendUrl, model, smallModel, apiKey, mode ('openai'), args (extra), env (extra),
// envOnly (configure through env alone: no --mode/--backend-url/--model flags), logLevel,
// wrap (argv prefix the gateway runs under).
export async function startGateway(opts) {
  const bin = gatewayBin();
  const dir = scratchDir('gw');
  const portFile = path.join(dir, 'port');
  const args = ['serve', '--port', '0', '--port-file', portFile];
  if (!opts.envOnly) {
    args.push('--mode', opts.mode ?? 'openai', '--backend-url', opts.backendUrl, '--model', opts.model ?? 'main-model');
    if (opts.smallModel) args.push('--small-model', opts.smallModel);
    if (opts.apiKey) args.push('--api-key', opts.apiKey);
  }
  args.push('--log-level', opts.logLevel ?? 'debug', ...(opts.args ?? []));
  // Sanitizer settings pass through (the sanitizer stage of scripts/test.sh sets them).
  const sanitizer = Object.fromEntries(['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']
    .filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  const env = { PATH: process.env.PATH, HOME: dir, TMPDIR: dir, ...sanitizer, ...(opts.env ?? {}) };
  // wrap: a command that runs the gateway (e.g. nsenter into a mount namespace), argv prefix.
  const [cmd, argv] = opts.wrap ? [opts.wrap[0], [...opts.wrap.slice(1), bin, ...args]] : [bin, args];
  const proc = startProcess(cmd, argv, { env, cwd: dir });
  let port;
  try {
    port = await waitFor(async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`gateway exited early (${proc.child.exitCode ?? proc.child.signalCode})`);
      }
      const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : '';
      return /^\d+\s*$/.test(text) ? Number(text) : 0;
    }, opts.startTimeoutMs ?? 10000, `the gateway's port file ${portFile}`);
  } catch (err) {
    await proc.stop();
    removeDir(dir);
    throw new Error(`${err.message}\n${cmd} ${argv.join(' ')}\n${proc.output()}`);
  }
  return {
    port,
    pid: proc.child.pid,
    url: `http://127.0.0.1:${port}`,
    proc,
    logs: () => proc.output(),
    async stop() { await proc.stop(); removeDir(dir); },
  };
}

// Starts a scripted backend and a gateway in front of it; stop() stops both.
export async function startPair(startBackend, gwOpts = {}) {
  const backend = await startBackend({ port: 0 });
  let gw;
  try {
    gw = await startGateway({ backendUrl: backend.url, ...gwOpts });
  } catch (err) {
    await backend.close();
    throw err;
  }
  return { backend, gw, async stop() { await gw.stop(); await backend.close(); } };
}
