// Sorted, merged inclusive sequence ranges ([first, last] pairs): the receiver's ledger of what it holds.
/** How much of [a, b] the sorted, merged ranges already cover. */
export function coverage(ranges: [number, number][], a: number, b: number): 'none' | 'some' | 'all' {
  let covered = 0;
  for (let i = ranges.length - 1; i >= 0; i--) {
    const [x, y] = ranges[i]!;
    if (y < a) break; // sorted: nothing earlier can overlap
    if (x > b) continue;
    covered += Math.min(b, y) - Math.max(a, x) + 1;
  }
  if (covered === 0) return 'none';
  return covered === b - a + 1 ? 'all' : 'some';
}

export function addRange(ranges: [number, number][], a: number, b: number): void {
  // Usually appends at the end (in-order delivery); otherwise insert and merge neighbours.
  let i = ranges.length;
  while (i > 0 && ranges[i - 1]![0] > a) i--;
  ranges.splice(i, 0, [a, b]);
  const merged: [number, number][] = [];
  const from = Math.max(0, i - 1);
  for (let j = from; j < Math.min(ranges.length, i + 2); j++) {
    const r = ranges[j]!;
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  ranges.splice(from, Math.min(ranges.length, i + 2) - from, ...merged);
}
