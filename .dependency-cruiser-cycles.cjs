// Cycles with type-only imports counted too (`npm run depcheck` runs this after .dependency-cruiser.cjs).
// A type-only cycle costs nothing at run time, but it ties modules into one knot that cannot be
// understood, moved or split apart (issue 16): capability <-> gateway, engine <-> fail-safe were such.
// A separate config because tsPreCompilationDeps would also make the layer and kernel-reach rules
// follow type imports, which the kernel never loads.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular-types-included',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
