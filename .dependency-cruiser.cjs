// Dependency rules checked in CI (`npm run depcheck`, also run by tests/architecture/dependencies.test.ts).
// The layering of README "Layout", with no exceptions. Runtime imports only here (type-only imports
// vanish at compile time and cost nothing at run time, and the kernel's reach is about what it
// loads); cycles are checked with type-only imports too, by .dependency-cruiser-cycles.cjs.

/** edge/cli.ts, edge/capabilities.ts and edge/commands/ wire everything together (the demo included). */
const COMPOSITION_ROOT = '^edge/(cli\\.ts$|capabilities\\.ts$|commands/)';

/** A layer rule: no module of `from` (a path, or `{ path, pathNot }`) imports one of `to` at run time. */
function layer(name, from, to, comment) {
  return { name, comment, severity: 'error', from: typeof from === 'string' ? { path: from } : from, to: { path: to } };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'safety-kernel-stays-small',
      comment:
        'The safety kernel process (edge/kernel/kernel-process.ts) must not load upstream sync, personnel, seals, the SQLite store, the config loader and its cross-checks, the control socket, capabilities or the database and MQTT libraries: nothing that can stall or crash protection (issue 11).',
      severity: 'error',
      from: { path: '^edge/kernel/kernel-process\\.ts$' },
      to: {
        reachable: true,
        path: [
          '^sync/',
          '^simulator/',
          '^edge/(personnel|seals|store|control|commands|operators|dashboard)/',
          '^edge/(gateway|gateway-supervisor|capabilities|cli|metrics|metrics-capability)\\.ts$',
          '^edge/config/(load-config|cross-checks)\\.ts$',
          'node_modules/(better-sqlite3|mqtt|mqtt-packet|commander|@iotize)/',
        ],
      },
    },
    layer('protocols-know-only-bytes', '^protocols/', '^(drivers|edge|sync|board-configs|simulator|bench)/', 'protocols/ speaks bytes and frames: it may use node and serialport, nothing of ours above it.'),
    layer('core-uses-nothing-of-ours', '^core/', '^(protocols|drivers|edge|sync|board-configs|simulator|bench)/', 'core/ is the bottom layer: everything may use it, it uses nothing of ours.'),
    layer('drivers-know-devices', '^drivers/', '^(edge|sync|board-configs|simulator|bench)/', 'drivers/ know devices: they use protocols/ and core/, never the rules, state, upstream, the config files or the simulator above them (a driver is handed its profile; it does not load one).'),
    layer('board-configs-are-schemas', '^board-configs/', '^(protocols|drivers|edge|sync|simulator|bench)/', 'board-configs/ holds schemas and data: it uses core/ (YAML source, issue formatting) and nothing above it: no buses, drivers, rules, upstream or simulator.'),
    layer('sync-knows-upstream', '^sync/', '^(protocols|drivers|simulator|bench)/', 'sync/ talks to the platform about what edge/ stored: it never drives a field bus or a device itself.'),
    layer('edge-knows-no-upstream', { path: '^edge/', pathNot: COMPOSITION_ROOT }, '^sync/', 'Below the composition root, edge/ never imports sync/: mine time and the MT/T 1201 codes are core/ vocabulary, a capability registers its own config rules (edge/config/check-registry.ts), so a stalled or broken uplink cannot reach the rules and state.'),
    layer('simulator-is-the-field', '^simulator/', '^(edge|sync|drivers|bench)/', 'simulator/ plays the devices: it speaks protocols/ and reads board-configs/ and core/, never the product that it is there to test (edge/, sync/, drivers/).'),
    layer('harnesses-stay-outside', '^(core|protocols|drivers|board-configs|edge|sync|simulator)/', '^(bench|tests)/', 'bench/ and tests/ may import anything; nothing of ours imports them.'),
    layer('safety-knows-no-upstream', '^edge/(safety|kernel)/', '^sync/', 'The safety rules and the kernel (edge/safety/, edge/kernel/) must not know sync/: a stalled uplink can never reach protection (domain.md: the safety path never waits on network or sync).'),
    layer('simulator-only-from-composition-root', { path: '^(core|protocols|drivers|board-configs|edge|sync)/', pathNot: COMPOSITION_ROOT }, '^simulator/', 'The simulator is the field, not the product: only the composition root (edge/cli.ts, edge/commands/, edge/capabilities.ts, which wire the demo) may import it. bench/ and tests/ are harnesses and may.'),
    {
      name: 'no-circular',
      comment: 'No runtime import cycles: a cycle makes load order (and so what is undefined at import time) depend on who is imported first. (Type-only cycles: .dependency-cruiser-cycles.cjs.)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: false,
  },
};
