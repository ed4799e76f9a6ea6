// Dependency rules checked in CI (`npm run depcheck`, also run by tests/architecture/dependencies.test.ts).
// Runtime imports only (type-only imports vanish at compile time and cost nothing at run time).
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
    {
      name: 'protocols-know-only-bytes',
      comment: 'protocols/ speaks bytes and frames: it may use node and serialport, nothing of ours above it.',
      severity: 'error',
      from: { path: '^protocols/' },
      to: { path: '^(drivers|edge|sync|board-configs|simulator|bench)/' },
    },
    {
      name: 'core-uses-nothing-of-ours',
      comment: 'core/ is the bottom layer: everything may use it, it uses nothing of ours.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(protocols|drivers|edge|sync|board-configs|simulator|bench)/' },
    },
    {
      name: 'drivers-know-devices',
      comment:
        'drivers/ know devices: they use protocols/ and core/, never the rules, state, upstream or the simulator above them. (drivers/ -> board-configs/ is still there today: card-reader-modbus.ts loads its profile, board-params.ts takes BAUD_RATES; not yet a rule, see README "Layout".)',
      severity: 'error',
      from: { path: '^drivers/' },
      to: { path: '^(edge|sync|simulator|bench)/' },
    },
    {
      name: 'board-configs-are-schemas',
      comment:
        'board-configs/ holds schemas and data: no buses, drivers, upstream or simulator. (board-configs/profiles.ts -> edge/config/ YAML and issue helpers is still there today; not yet a rule, see README "Layout".)',
      severity: 'error',
      from: { path: '^board-configs/' },
      to: { path: '^(protocols|drivers|sync|simulator|bench)/' },
    },
    {
      name: 'sync-knows-upstream',
      comment: 'sync/ talks to the platform about what edge/ stored: it never drives a field bus or a device itself.',
      severity: 'error',
      from: { path: '^sync/' },
      to: { path: '^(protocols|drivers|simulator|bench)/' },
    },
    {
      name: 'safety-knows-no-upstream',
      comment: 'The safety rules and the kernel (edge/safety/, edge/kernel/) must not know sync/: a stalled uplink can never reach protection (domain.md: the safety path never waits on network or sync).',
      severity: 'error',
      from: { path: '^edge/(safety|kernel)/' },
      to: { path: '^sync/' },
    },
    {
      name: 'simulator-only-from-composition-root',
      comment:
        'The simulator is the field, not the product: only the composition root (edge/cli.ts, edge/commands/, edge/capabilities.ts, which wire the demo) may import it. bench/ and tests/ are harnesses and may.',
      severity: 'error',
      from: {
        path: '^(core|protocols|drivers|board-configs|edge|sync)/',
        pathNot: '^edge/(cli\\.ts$|capabilities\\.ts$|commands/)',
      },
      to: { path: '^simulator/' },
    },
    {
      name: 'no-circular',
      comment: 'No runtime import cycles: a cycle makes load order (and so what is undefined at import time) depend on who is imported first.',
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
