// The small real repository the scripted agent works on: a Node.js greeting module with a bug
// (an empty name greets "Hello, !"), its tests (node --test; one fails until the fix), a README,
// committed to git with a fixed author and date so the environment block Claude Code sends is
// the same on every run. makeRepo(dir) writes it; the plan (agent_plan.mjs) edits it.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export const FILES = {
  'README.md': '# greet\n\nGreetings for the command line.\n\n    node src/cli.js Ada   # Hello, Ada!\n\nRun the tests with `node --test test/`.\n',
  'src/greet.js': "// Builds greetings.\nconst { cleanName } = require('./format');\n\nfunction greet(name) {\n  const n = cleanName(name);\n  return 'Hello, ' + n + '!';\n}\n\nmodule.exports = { greet };\n",
  'src/format.js': "// Normalises user-supplied names.\nfunction cleanName(s) {\n  return String(s ?? '').trim().replace(/\\s+/g, ' ');\n}\n\nfunction titleCase(s) {\n  return s.replace(/\\b\\w/g, (c) => c.toUpperCase());\n}\n\nmodule.exports = { cleanName, titleCase };\n",
  'src/cli.js': "#!/usr/bin/env node\n// Prints a greeting for the name given on the command line.\nconst { greet } = require('./greet');\n\nconsole.log(greet(process.argv.slice(2).join(' ')));\n",
  'test/greet.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\nconst { greet } = require('../src/greet');\n\ntest('greets by name', () => {\n  assert.strictEqual(greet('Ada'), 'Hello, Ada!');\n});\n\ntest('trims the name', () => {\n  assert.strictEqual(greet('  Ada  '), 'Hello, Ada!');\n});\n\ntest('an empty name greets the world', () => {\n  assert.strictEqual(greet(''), 'Hello, world!');\n});\n",
  'test/format.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\nconst { cleanName, titleCase } = require('../src/format');\n\ntest('cleanName collapses spaces', () => {\n  assert.strictEqual(cleanName(' a   b '), 'a b');\n});\n\ntest('titleCase', () => {\n  assert.strictEqual(titleCase('ada lovelace'), 'Ada Lovelace');\n});\n",
};

export function makeRepo(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const env = {
    ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada',
    GIT_COMMITTER_EMAIL: 'ada@example.com', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  };
  const git = (...a) => execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...a], { cwd: dir, env, stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'greet: first version');
  return dir;
}
