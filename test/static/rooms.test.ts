/**
 * The rooms check bites: on a copy of the tree it passes, and once a violation of each rule of
 * .dependency-cruiser.cjs (a forbidden import, an import of an entry point, an import cycle, Node
 * code in the browser page, a file in no room) and a known violation that no longer occurs are
 * planted in the copy, it fails naming each of them, and nothing else.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../shared/paths';

const run = promisify(execFile);
const { ROOTS } = jest.requireActual<{ ROOTS: string[] }>('../../tools/rooms.cjs');
let copy: string;

/** `npm run lint:rooms` in the copy: its exit code and the problems it names. */
async function checkCopy(): Promise<{ code: number; problems: string[] }> {
  const { code, stderr } = await run(process.execPath, [path.join(REPO_ROOT, 'tools/rooms-graph.mjs'), '--check'], { cwd: copy }).then(
    ({ stderr: err }) => ({ code: 0, stderr: err }),
    (error: { code: number; stderr: string }) => error,
  );
  return { code, problems: stderr.split('\n').filter((line) => line.startsWith('✗ ')) };
}

beforeAll(() => {
  copy = mkdtempSync(path.join(os.tmpdir(), 'rooms-'));
  for (const file of [...ROOTS, 'package.json', 'tsconfig.json', '.dependency-cruiser.cjs']) {
    cpSync(path.join(REPO_ROOT, file), path.join(copy, file), { recursive: true });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(copy, 'node_modules'));
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

it('passes on the tree as it is', async () => {
  expect(await checkCopy()).toEqual({ code: 0, problems: [] });
}, 120_000);

it('fails on each planted violation, naming it', async () => {
  appendFileSync(path.join(copy, 'dashboard/server/index.ts'), "\nimport '../../chaos/api/chaos-client';\n");
  writeFileSync(path.join(copy, 'test/unit/planted.test.ts'), "import '../../scripts/demo';\n");
  writeFileSync(path.join(copy, 'dashboard/page/planted.ts'), "export { REPO_ROOT } from '../../shared/paths';\n");
  // Below scripts/ but not an entry point (scripts/*.ts): in no room.
  mkdirSync(path.join(copy, 'scripts/lib'));
  writeFileSync(path.join(copy, 'scripts/lib/planted.ts'), "export { names } from '../../spec';\n");
  writeFileSync(path.join(copy, 'chaos/planted-a.ts'), "export { b } from './planted-b';\nexport const a = 1;\n");
  writeFileSync(path.join(copy, 'chaos/planted-b.ts'), "export { a } from './planted-a';\nexport const b = 2;\n");
  appendFileSync(
    path.join(copy, '.dependency-cruiser.cjs'),
    "\nmodule.exports.options.knownViolations.push({ type: 'dependency', rule: { name: 'room spec', severity: 'error' }, from: 'spec/index.ts', to: 'chaos/planted-a.ts' });\n",
  );

  const { code, problems } = await checkCopy();
  expect(code).toBe(1);
  expect(problems.sort()).toEqual([
    '✗ known violation no longer occurs, delete it from .dependency-cruiser.cjs: room spec: spec/index.ts -> chaos/planted-a.ts',
    '✗ no-cycle: chaos/planted-a.ts -> chaos/planted-b.ts -> chaos/planted-a.ts  (.dependency-cruiser.cjs)',
    '✗ no-entry-import: test/unit/planted.test.ts -> scripts/demo.ts  (.dependency-cruiser.cjs)',
    '✗ not-in-a-room: scripts/lib/planted.ts -> spec/index.ts  (.dependency-cruiser.cjs)',
    '✗ page-reads-types: dashboard/page/planted.ts -> shared/paths.ts  (.dependency-cruiser.cjs)',
    '✗ room dashboard/server: dashboard/server/index.ts -> chaos/api/chaos-client.ts  (tools/rooms.cjs)',
  ]);
}, 120_000);
