// Cycles with type-only imports counted too (`npm run depcheck` runs this after .dependency-cruiser.cjs).
// A type-only cycle costs nothing at run time, but it ties modules into one knot that cannot be
// understood, moved or split apart (issue 16): capability <-> gateway, engine <-> fail-safe were such.
// A separate config because tsPreCompilationDeps would also make the layer and kernel-reach rules
// follow type imports, which the kernel never loads. The cycle rule and the options are the main
// config's (one home), with type imports followed.
const main = require('./.dependency-cruiser.cjs');

const noCircular = main.forbidden.find((rule) => rule.name === 'no-circular');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [{ ...noCircular, name: 'no-circular-types-included', comment: 'No import cycles, type-only imports included.' }],
  options: { ...main.options, tsPreCompilationDeps: true },
};
