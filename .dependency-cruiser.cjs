/**
 * The import rules of the rooms (tools/rooms.cjs), checked by dependency-cruiser: `npm run
 * lint:rooms` (part of `npm run lint`), and `npm run rooms` to see the arrows between rooms.
 * - `room <name>`: a room imports only itself and the rooms it may import;
 * - no-entry-import: nothing imports an entry point (scripts/*.ts, infra/main.ts);
 * - no-cycle: no module takes part in an import cycle;
 * - page-reads-types: the browser page takes only types from shared/;
 * - not-in-a-room: every file that imports project code belongs to a room.
 */
const { ROOMS, ROOTS } = require('./tools/rooms.cjs');

const PROJECT = `^(${ROOTS.join('|')})/`;
const pathOf = (name) => ROOMS.find((room) => room.name === name).path;

const roomRules = ROOMS.filter((room) => room.may !== '*').map((room) => ({
  name: `room ${room.name}`,
  comment: `${room.name} may import ${room.may.length > 0 ? room.may.join(', ') : 'no other room'} (tools/rooms.cjs)`,
  severity: 'error',
  // A file belongs to the first room that matches it (infra/main.ts is an entry point, not infra).
  from: { path: room.path, pathNot: ROOMS.slice(0, ROOMS.indexOf(room)).map((earlier) => earlier.path) },
  to: { path: PROJECT, pathNot: [room.path, ...room.may.map(pathOf)] },
}));

/**
 * Arrows that break a rule but are let through while a change under way removes them: none now.
 * The list only shrinks: `npm run lint:rooms` fails on a new violation, and on an entry here that
 * no longer occurs. Never widen a room's `may` to let an arrow through.
 */
const KNOWN_VIOLATIONS = [];

module.exports = {
  forbidden: [
    ...roomRules,
    {
      name: 'no-entry-import',
      comment: 'An entry point is run, never imported: move what it shares into a room',
      severity: 'error',
      from: {},
      to: { path: pathOf('entry') },
    },
    {
      name: 'no-cycle',
      comment: 'This import closes a cycle: one module on it must give way (a contract, or a move)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'page-reads-types',
      comment: 'The dashboard page is bundled for the browser: it takes only types from shared/',
      severity: 'error',
      from: { path: pathOf('dashboard/page') },
      to: { path: pathOf('shared'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-in-a-room',
      comment: 'Every source file belongs to a room (tools/rooms.cjs)',
      severity: 'error',
      from: { path: PROJECT, pathNot: ROOMS.map((room) => room.path) },
      to: {},
    },
  ],
  options: {
    includeOnly: PROJECT,
    // Type-only imports are arrows too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
    knownViolations: KNOWN_VIOLATIONS,
  },
};
