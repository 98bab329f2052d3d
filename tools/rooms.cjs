/**
 * The rooms of the house: where each one's files are, and the rooms it may import (`'*'`: any,
 * though no room may import an entry point). A room may always import itself. A file belongs to
 * the first room whose path matches it. The arrows allowed form no cycle: spec ← shared ←
 * {lambdas, infra, offline, dashboard, chaos} ← bench ← entry, and tests sit beside the entry
 * points. .dependency-cruiser.cjs enforces the table (npm run lint:rooms); tools/rooms-graph.mjs
 * prints the arrows (npm run rooms).
 */
const OFFLINE = ['offline/protocol', 'offline/chaos', 'offline/services', 'offline/edge', 'offline/runtime'];

const ROOMS = [
  // Thin command-line entry points: they compose every room, and nothing imports them.
  { name: 'entry', path: '^(scripts/[^/]+\\.ts|infra/main\\.ts)$', may: '*' },
  { name: 'test', path: '^test/', may: '*' },
  // Names, timeouts, limits and wire messages: the single source of truth.
  { name: 'spec', path: '^spec/', may: [] },
  // What every room may use: paths, build helpers, CLI plumbing, HTTP helpers, contracts, the app client.
  { name: 'shared', path: '^shared/', may: ['spec'] },
  // The sample application's Lambdas: the handlers compose resilience and adapters around the domain.
  { name: 'lambdas/domain', path: '^lambdas/domain/', may: ['spec'] },
  { name: 'lambdas/config', path: '^lambdas/config\\.ts$', may: ['spec'] },
  { name: 'lambdas/adapters', path: '^lambdas/adapters/', may: ['lambdas/domain', 'lambdas/config', 'spec'] },
  { name: 'lambdas/resilience', path: '^lambdas/resilience/', may: ['lambdas/domain', 'spec'] },
  { name: 'lambdas/handlers', path: '^lambdas/(product|retry)/', may: ['lambdas/domain', 'lambdas/adapters', 'lambdas/resilience', 'lambdas/config', 'spec'] },
  // The sample application's stack (infra/main.ts, its entry point, matched above).
  { name: 'infra', path: '^infra/', may: ['spec', 'shared'] },
  // The offline runtime: wire formats and the fault engine at the bottom, the composition on top.
  { name: 'offline/protocol', path: '^offline/protocol/', may: ['spec', 'shared'] },
  { name: 'offline/chaos', path: '^offline/chaos/', may: ['spec', 'shared'] },
  { name: 'offline/services', path: '^offline/services/', may: ['offline/protocol', 'offline/chaos', 'spec', 'shared'] },
  { name: 'offline/edge', path: '^offline/edge/', may: ['offline/protocol', 'offline/chaos', 'spec', 'shared'] },
  { name: 'offline/runtime', path: '^offline/runtime/', may: [...OFFLINE.filter((room) => room !== 'offline/runtime'), 'spec', 'shared'] },
  // The live dashboard: a server and a browser page that share the wire format.
  { name: 'dashboard/wire', path: '^dashboard/wire\\.ts$', may: ['shared'] },
  { name: 'dashboard/page', path: '^dashboard/page/', may: ['dashboard/wire', 'shared'] },
  { name: 'dashboard/server', path: '^dashboard/server/', may: ['dashboard/wire', 'spec', 'shared'] },
  // Chaos tooling: the runner, probes, reports and the Chaos API client.
  { name: 'chaos', path: '^chaos/', may: ['spec', 'shared'] },
  // Performance measurement: it starts runtimes and stacks, and drives them with the chaos tooling.
  { name: 'bench', path: '^bench/', may: [...OFFLINE, 'infra', 'chaos', 'dashboard/wire', 'dashboard/server', 'spec', 'shared'] },
  // The repository's own tooling (this table, the rooms graph).
  { name: 'tools', path: '^tools/', may: [] },
];

/** The folders the rooms live in: what the check cruises. */
const ROOTS = ['spec', 'shared', 'lambdas', 'infra', 'offline', 'dashboard', 'chaos', 'bench', 'scripts', 'test', 'tools'];

/** The room of a path relative to the repository root, or undefined. */
const roomOf = (path) => ROOMS.find((room) => new RegExp(room.path).test(path));

module.exports = { ROOMS, ROOTS, roomOf };
