// Resolving a component's options against its defaults object (X_DEFAULTS): each tunable is the
// caller's value where one was given, else the default; counts, sizes and intervals must then be
// positive integers. One helper, so the outbox, the downlink and the rest merge the same way and
// word the same error ("<Component>: <option> must be a positive integer, got <value>").

/** The named options of O, every one set. */
export type Tunables<O, K extends keyof O> = { [P in K]-?: NonNullable<O[P]> };

/** For each key: given[key] unless it is undefined (or null), else defaults[key]. Only those keys. */
export function withDefaults<O extends object, K extends keyof O>(given: O, defaults: { readonly [P in K]: NonNullable<O[P]> }, keys: readonly K[]): Tunables<O, K> {
  const out = {} as Tunables<O, K>;
  for (const k of keys) out[k] = (given[k] ?? defaults[k]) as NonNullable<O[K]>;
  return out;
}

/** Throws TypeError naming the first of `keys` whose value is not a positive safe integer. */
export function requirePositiveIntegers<T extends object>(who: string, values: T, keys: readonly (keyof T & string)[]): void {
  for (const k of keys) {
    const v = values[k];
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw new TypeError(`${who}: ${k} must be a positive integer, got ${String(v)}`);
  }
}
