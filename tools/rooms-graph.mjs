/**
 * The arrows between rooms (tools/rooms.cjs), with the number of imports behind each, from one
 * dependency-cruiser run with the rules of .dependency-cruiser.cjs; then whatever breaks them.
 * `npm run rooms` prints both; `npm run lint:rooms` (`--check`) prints only the problems. Either
 * exits 1 on a violation, a cycle between rooms that is not made of known violations, or a known
 * violation that no longer occurs. Run it from the repository root, or from a copy of the tree
 * (test/static/rooms.test.ts).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = process.cwd();
const { ROOTS, roomOf } = createRequire(import.meta.url)(path.join(root, 'tools/rooms.cjs'));
const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
const transpile = { tsConfig: extractTSConfig(path.join(root, 'tsconfig.json')) };
const { modules, summary } = (await cruise(ROOTS, { ...options, validate: true }, undefined, transpile)).output;

/** A room's name, or the path of a file in none. */
const nameOf = (file) => roomOf(file)?.name ?? file;

/**
 * The arrows between rooms: `from -> to` → how many imports, and their worst status: 'allowed',
 * 'known' (every breaking import is a known violation) or 'broken'.
 */
const arrows = new Map();
const rank = { allowed: 0, known: 1, broken: 2 };
for (const module of modules) {
  for (const dependency of module.dependencies) {
    const key = `${nameOf(module.source)} -> ${nameOf(dependency.resolved)}`;
    const [from, to] = key.split(' -> ');
    if (from === to) continue;
    const rules = dependency.rules ?? [];
    const status = dependency.valid ? 'allowed' : rules.every((rule) => rule.severity === 'ignore') ? 'known' : 'broken';
    const arrow = arrows.get(key) ?? { count: 0, status: 'allowed' };
    arrows.set(key, { count: arrow.count + 1, status: rank[status] > rank[arrow.status] ? status : arrow.status });
  }
}

/** Groups of rooms that reach each other through `keys` (strongly connected components of more than one room). */
function roomCycles(keys) {
  const next = new Map();
  for (const key of keys) {
    const [from, to] = key.split(' -> ');
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  const reaches = (from, to, seen = new Set()) =>
    (next.get(from) ?? []).some((room) => room === to || (!seen.has(room) && seen.add(room) && reaches(room, to, seen)));
  const cycles = [];
  for (const room of [...next.keys()].sort()) {
    if (cycles.some((cycle) => cycle.includes(room))) continue;
    const cycle = [...next.keys()].filter((other) => other === room || (reaches(room, other) && reaches(other, room)));
    if (cycle.length > 1) cycles.push(cycle.sort());
  }
  return cycles;
}

const describe = (violation) =>
  violation.type === 'cycle'
    ? `${violation.rule.name}: ${[violation.from, ...violation.cycle.map((step) => step.name)].join(' -> ')}`
    : `${violation.rule.name}: ${violation.from} -> ${violation.to}`;
const sameViolation = (known, found) => known.rule.name === found.rule.name && known.from === found.from && known.to === found.to && known.type === found.type;

const known = options.knownViolations ?? [];
const stillKnown = summary.violations.filter((violation) => violation.rule.severity === 'ignore');
const broken = summary.violations.filter((violation) => violation.rule.severity !== 'ignore');
const stale = known.filter((entry) => !stillKnown.some((violation) => sameViolation(entry, violation)));
const allCycles = roomCycles(arrows.keys());
const newCycles = roomCycles([...arrows].filter(([, arrow]) => arrow.status !== 'known').map(([key]) => key));

if (!process.argv.includes('--check')) {
  console.log(`Arrows between rooms (${summary.totalCruised} modules, ${summary.totalDependenciesCruised} imports): [n] imports, ✗ breaks a rule`);
  const byRoom = new Map();
  for (const [key, arrow] of [...arrows].sort(([a], [b]) => a.localeCompare(b))) {
    const [from, to] = key.split(' -> ');
    byRoom.set(from, [...(byRoom.get(from) ?? []), `${to}[${arrow.count}]${arrow.status === 'allowed' ? '' : ' ✗'}`]);
  }
  const width = Math.max(...[...byRoom.keys()].map((room) => room.length));
  for (const [from, targets] of byRoom) console.log(`  ${from.padEnd(width)} -> ${targets.join(', ')}`);
  console.log(`Cycles between rooms: ${allCycles.length === 0 ? 'none' : allCycles.map((cycle) => cycle.join(' <-> ')).join('; ')}`);
  console.log(`Known violations still present (.dependency-cruiser.cjs): ${stillKnown.length}`);
  for (const violation of stillKnown) console.log(`  ${describe(violation)}  (${known.find((entry) => sameViolation(entry, violation))?.comment})`);
}

const problems = [
  ...broken.map((violation) => `${describe(violation)}  (${violation.rule.name.startsWith('room ') ? 'tools/rooms.cjs' : '.dependency-cruiser.cjs'})`),
  ...newCycles.map((cycle) => `rooms import each other: ${cycle.join(' <-> ')}`),
  ...stale.map((entry) => `known violation no longer occurs, delete it from .dependency-cruiser.cjs: ${describe(entry)}`),
];
for (const problem of problems) console.error(`✗ ${problem}`);
if (problems.length > 0) process.exitCode = 1;
else if (process.argv.includes('--check')) console.log(`rooms: ${summary.totalCruised} modules, no new violation (${stillKnown.length} known)`);
