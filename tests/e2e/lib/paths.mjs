// Where things are: the repo root, the gateway binary (ANYCLAUDE_BIN overrides build/anyclaude),
// the Claude Code fixtures (<repo>/../shared/fixtures) and the claude CLI from node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.resolve(REPO, '../shared/fixtures/claude-code-2.1.328');
export const CLAUDE_BIN = process.env.ANYCLAUDE_CLAUDE_BIN ?? path.join(REPO, 'node_modules/.bin/claude');

export function gatewayBin() {
  const bin = path.resolve(REPO, process.env.ANYCLAUDE_BIN ?? 'build/anyclaude');
  if (!fs.existsSync(bin)) {
    throw new Error(`gateway binary not found at ${bin} (build it, or set ANYCLAUDE_BIN)`);
  }
  return bin;
}

export function readFixture(name) {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}
