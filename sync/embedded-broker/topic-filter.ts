// MQTT topic filters: which filters a SUBSCRIBE may name, and which topics a filter matches.

/** `#` only as the last level, `+` and `#` only as whole levels. */
export function validFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (l === '#' ? i === levels.length - 1 : l === '+' || (!l.includes('+') && !l.includes('#'))));
}

/** MQTT topic filter matching: `+` one level, `#` the rest; wildcards never match `$` topics at the first level. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
