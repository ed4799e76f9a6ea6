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
      to: { path: '^(drivers|edge|sync|board-configs|simulator)/' },
    },
    {
      name: 'core-uses-nothing-of-ours',
      comment: 'core/ is the bottom layer: everything may use it, it uses nothing of ours.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(protocols|drivers|edge|sync|board-configs|simulator)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: false,
  },
};
