// Dependency rules checked in CI (`npm run depcheck`, also run by tests/architecture/dependencies.test.ts).
// The layering of README "Layout", with no exceptions. Runtime imports only here (type-only imports
// vanish at compile time and cost nothing at run time, and the kernel's reach is about what it
// loads); cycles are checked with type-only imports too, by .dependency-cruiser-cycles.cjs.
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
        'drivers/ know devices: they use protocols/ and core/, never the rules, state, upstream, the config files or the simulator above them (a driver is handed its profile; it does not load one).',
      severity: 'error',
      from: { path: '^drivers/' },
      to: { path: '^(edge|sync|board-configs|simulator|bench)/' },
    },
    {
      name: 'board-configs-are-schemas',
      comment: 'board-configs/ holds schemas and data: it uses core/ (YAML source, issue formatting) and nothing above it: no buses, drivers, rules, upstream or simulator.',
      severity: 'error',
      from: { path: '^board-configs/' },
      to: { path: '^(protocols|drivers|edge|sync|simulator|bench)/' },
    },
    {
      name: 'sync-knows-upstream',
      comment: 'sync/ talks to the platform about what edge/ stored: it never drives a field bus or a device itself.',
      severity: 'error',
      from: { path: '^sync/' },
      to: { path: '^(protocols|drivers|simulator|bench)/' },
    },
    {
      name: 'edge-knows-no-upstream',
      comment:
        'Below the composition root, edge/ never imports sync/: mine time and the MT/T 1201 codes are core/ vocabulary, a capability registers its own config rules (edge/config/check-registry.ts), so a stalled or broken uplink cannot reach the rules and state.',
      severity: 'error',
      from: { path: '^edge/', pathNot: '^edge/(cli\\.ts$|capabilities\\.ts$|commands/)' },
      to: { path: '^sync/' },
    },
    {
      name: 'simulator-is-the-field',
      comment: 'simulator/ plays the devices: it speaks protocols/ and reads board-configs/ and core/, never the product that it is there to test (edge/, sync/, drivers/).',
      severity: 'error',
      from: { path: '^simulator/' },
      to: { path: '^(edge|sync|drivers|bench)/' },
    },
    {
      name: 'harnesses-stay-outside',
      comment: 'bench/ and tests/ may import anything; nothing of ours imports them.',
      severity: 'error',
      from: { path: '^(core|protocols|drivers|board-configs|edge|sync|simulator)/' },
      to: { path: '^(bench|tests)/' },
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
