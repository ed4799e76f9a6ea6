// minegate dashboard page: plain JS, no framework, no network beyond its own gateway. Every frame
// on /api/stream is the control socket's `status` answer (what `minegate status --json` prints);
// this script only draws it. Sparklines: the last 30 min from the reading store (/api/history) plus
// the frames since. No frame for STALE_MS: the stale banner goes up, whatever the values say.
'use strict';

const STALE_MS = 3000;
const WINDOW_MS = 30 * 60 * 1000;
const $ = (sel) => document.querySelector(sel);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const state = { meta: null, last: null, lastAt: 0, history: {}, session: null, events: [] };

// ------------------------------------------------------------------ navigation
function showPage() {
  const name = (location.hash || '#overview').slice(1);
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.dataset.page !== name;
  for (const a of document.querySelectorAll('nav a')) a.setAttribute('aria-current', a.getAttribute('href') === `#${name}` ? 'page' : 'false');
  if (name === 'events') void loadEvents();
}
window.addEventListener('hashchange', showPage);

// ------------------------------------------------------------------ formatting
function fmtAge(ms) {
  if (ms === null || ms === undefined) return 'never';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60000)} min`;
}
// Mine time (China Standard Time, +08:00, no daylight saving), as the CLI prints it: the laptop's
// own zone and locale must not change what a technician reads off the page.
const MINE_OFFSET_MS = 8 * 3600_000;
const pad2 = (n) => String(n).padStart(2, '0');
function mineClock(wall) {
  const d = new Date(wall + MINE_OFFSET_MS);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}
function fmtTime(wall) {
  if (!wall) return '—';
  const d = new Date(wall + MINE_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${mineClock(wall)} +08:00`;
}
function fmtValue(v, unit) {
  return v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 1000} ${unit ?? ''}`.trim();
}

// ------------------------------------------------------------------ sparkline (inline SVG)
function sparkline(series, meta) {
  const w = 160;
  const h = 34;
  const now = Date.now();
  const pts = series.filter(([t, v]) => v !== null && t >= now - WINDOW_MS);
  const limits = [meta?.alarm, meta?.cutoff, meta?.alarmLow].filter((x) => typeof x === 'number');
  const values = pts.map((p) => p[1]);
  let lo = Math.min(0, ...values, ...limits);
  let hi = Math.max(...values, ...limits, lo + 1e-6);
  if (hi - lo < 1e-9) hi = lo + 1;
  hi += (hi - lo) * 0.1;
  // A gateway started a few minutes ago has a few minutes of history: draw that across the width
  // (at least one minute) rather than as a sliver at the right end; at most the last 30 minutes.
  const span = Math.min(WINDOW_MS, Math.max(60000, now - (pts[0]?.[0] ?? now)));
  const x = (t) => ((t - (now - span)) / span) * w;
  const y = (v) => h - ((v - lo) / (hi - lo)) * h;
  const line = (v, cls) => `<line class="${cls}" x1="0" x2="${w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`;
  let svg = `<svg class="spark" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="last ${Math.round(span / 60000)} min"><title>last ${Math.round(span / 60000)} min</title>`;
  if (typeof meta?.alarm === 'number') svg += line(meta.alarm, 'lim-alarm');
  if (typeof meta?.alarmLow === 'number') svg += line(meta.alarmLow, 'lim-alarm');
  if (typeof meta?.cutoff === 'number') svg += line(meta.cutoff, 'lim-cut');
  if (pts.length > 0) svg += `<polyline class="trend" points="${pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;
  return `${svg}</svg>`;
}

function remember(points, wall) {
  for (const p of points) {
    const s = (state.history[p.code] ??= []);
    s.push([wall, p.quality === 'good' ? p.value : null]);
    while (s.length > 0 && s[0][0] < wall - WINDOW_MS) s.shift();
    // One per 5 s is plenty for 160 pixels.
    if (s.length > 2 && s[s.length - 2][0] > wall - 5000 && s[s.length - 3][0] > wall - 5000) s.splice(s.length - 2, 1);
  }
}

// ------------------------------------------------------------------ overview
function renderOverview(cs) {
  const metaBy = new Map((state.meta?.points ?? []).map((p) => [p.code, p]));
  const st = cs.status;
  $('#points tbody').innerHTML = st.points
    .map((p) => {
      const m = metaBy.get(p.code);
      const over = m && typeof p.value === 'number' && ((m.cutoff !== null && p.value >= m.cutoff) ? 'cut' : (m.alarm !== null && p.value >= m.alarm) ? 'alarm' : '');
      const limits = m ? [m.alarm !== null ? `alarm ${m.alarm}` : '', m.alarmLow !== null ? `low ${m.alarmLow}` : '', m.cutoff !== null ? `cut ${m.cutoff}` : ''].filter(Boolean).join(' · ') : '';
      return `<tr data-point="${esc(p.code)}" class="${over || ''}"><th scope="row">${esc(p.code)}</th><td lang="zh">${esc(p.name)}</td>` +
        `<td class="value">${esc(fmtValue(p.value, p.unit))}</td><td class="quality q-${esc(p.quality)}">${esc(p.quality)}</td>` +
        `<td class="age">${esc(fmtAge(p.ageMs))}</td><td>${sparkline(state.history[p.code] ?? [], m)}</td><td class="limits" title="${esc(m?.source ?? '')}">${esc(limits)}</td></tr>`;
    })
    .join('');
  const names = new Map((state.meta?.outputs ?? []).map((o) => [o.id, o.name]));
  const holdsBy = new Map();
  for (const hd of st.holds) (holdsBy.get(hd.output) ?? holdsBy.set(hd.output, []).get(hd.output)).push(hd);
  $('#outputs tbody').innerHTML = st.outputs
    .map((o) => {
      const holds = holdsBy.get(o.id) ?? [];
      const cut = o.kind === 'power' ? !o.energize : false;
      const stateText = o.kind === 'power' ? (o.energize ? 'on' : 'CUT') : o.energize ? 'ON' : 'off';
      const fb = o.confirmed === null ? 'no feedback' : o.confirmed ? 'confirmed' : 'NOT confirmed';
      const reasons = holds.map((hd) => `<li><b>${esc(hd.rule)}</b> ${esc(hd.reason)} <small>(${esc(hd.clause)})</small></li>`).join('');
      return `<tr data-output="${esc(o.id)}" class="${cut ? 'cut' : ''}"><th scope="row">${esc(o.id)}</th><td lang="zh">${esc(names.get(o.id) ?? '')}</td>` +
        `<td class="state">${esc(stateText)}</td><td>${esc(fb)}${o.error ? ` — ${esc(o.error)}` : ''}</td><td><ul class="holds">${reasons}</ul></td></tr>`;
    })
    .join('');
  $('#alarms').innerHTML = st.alarms.length === 0 ? '<li class="none">no active alarm</li>' : st.alarms.map((a) => `<li class="sev-${esc(a.severity)}" data-alarm="${esc(a.key)}"><b>${esc(a.severity)}</b> ${esc(a.message)} <small>since ${esc(fmtTime(a.sinceWall))} · ${esc(a.clause)}</small></li>`).join('');
}

// ------------------------------------------------------------------ people, seals, upstream
function sectionText(cs, title) {
  const s = cs.sections.find((x) => x.title === title);
  return s ? `<details><summary>as the CLI shows it</summary><pre>${esc(s.body)}</pre></details>` : '';
}

function kv(obj) {
  const rows = Object.entries(obj ?? {}).filter(([, v]) => v === null || typeof v !== 'object');
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v === null ? '—' : v)}</td></tr>`).join('')}</table>`;
}

function renderPeople(cs) {
  const p = cs.status.capabilities.personnel;
  if (!p) {
    $('#people-head').textContent = '(no personnel positioning configured)';
    return;
  }
  $('#people-head').textContent = `${p.underground} underground (rated ${p.ratedUnderground}), ${p.atShaftMouth} at the shaft mouth`;
  $('#areas tbody').innerHTML = p.areas.map((a) => `<tr data-area="${esc(a.id)}" class="${a.rated !== null && a.count > a.rated ? 'alarm' : ''}"><th scope="row">${esc(a.id)}</th><td lang="zh">${esc(a.name)}</td><td>${esc(a.type)}</td><td>${a.count}</td><td>${a.rated ?? '—'}</td></tr>`).join('');
  const e = p.evacuation;
  $('#evacuation').innerHTML = !e
    ? '<p class="none">no evacuation</p>'
    : `<p class="evac ${e.complete ? '' : 'cut'}">evacuation ${esc(e.id)} since ${esc(fmtTime(e.startedWall))}: <b>${e.insideCount}</b> still inside${e.complete ? ' — complete' : ''}</p>` +
      `<table><thead><tr><th scope="col">area</th><th scope="col">responsible</th><th scope="col">叫应</th></tr></thead><tbody>${e.areas.map((a) => `<tr data-evac-area="${esc(a.area)}"><th scope="row">${esc(a.area)}</th><td>${esc(a.responsible ?? '—')}</td><td>${a.acknowledged ? `acknowledged by ${esc(a.acknowledged.by)} (${esc(a.acknowledged.via)})` : `<b>waiting</b>, due ${esc(fmtTime(a.ackDeadlineWall))}${a.escalatedWall ? ' — escalated' : ''}`}</td></tr>`).join('')}</tbody></table>` +
      `<h3>Still inside</h3><ul>${e.inside.map((i) => `<li lang="zh">${esc(i.name)} (${esc(i.card)}) in ${esc(i.area ?? '?')}, seen ${esc(fmtTime(i.lastSeenWall))}</li>`).join('') || '<li class="none">nobody</li>'}</ul>`;
  $('#people-alarms').innerHTML = p.alarms.length === 0 ? '<li class="none">none</li>' : p.alarms.map((a) => `<li>${esc(a.message ?? JSON.stringify(a))}</li>`).join('');
}

function renderSeals(cs) {
  const s = cs.status.capabilities.seals;
  if (!s) {
    $('#seals').innerHTML = '<p class="none">no electronic seals configured</p>';
    return;
  }
  const mouths = s.shaftMouths.map((m) => `<tr data-mouth="${esc(m.id)}"><th scope="row" lang="zh">${esc(m.name)}</th><td>${esc(m.mode)}</td><td>${esc(m.modeOperator ?? '')} ${esc(m.modeReason ?? '')}</td><td>${esc(JSON.stringify(m.totals))}</td></tr>`).join('');
  $('#seals').innerHTML = `<p>seal headcount <b>${s.sealHeadcount}</b> vs positioning <b>${s.positioningHeadcount ?? 'unknown'}</b>${s.positioningUnknownBecause ? ` (${esc(s.positioningUnknownBecause)})` : ''}</p>` +
    `<table><thead><tr><th scope="col">shaft mouth</th><th scope="col">mode</th><th scope="col">set by</th><th scope="col">counts</th></tr></thead><tbody>${mouths}</tbody></table>` +
    `<ul class="alarms">${s.alarms.map((a) => `<li>${esc(a.message ?? JSON.stringify(a))}</li>`).join('')}</ul>${sectionText(cs, 'seals')}`;
}

function renderUpstream(cs) {
  const u = cs.status.capabilities.sync;
  if (!u) {
    $('#upstream').innerHTML = '<p class="none">no upstream sync configured</p>';
    return;
  }
  const lanes = Object.entries(u.backlog ?? {}).map(([lane, b]) => `<tr><th scope="row">${esc(lane)}</th><td>${esc(JSON.stringify(b))}</td></tr>`).join('');
  $('#upstream').innerHTML = `<p>${esc(u.state)} ${u.broker ? `to ${esc(u.broker)}` : ''} — acked ${u.acked.batches} batches / ${u.acked.records} records, last ${esc(fmtTime(u.acked.lastAt))}; awaiting receipt ${u.awaitingReceipt ?? 0}</p>` +
    `<h3>Backlog</h3><table class="kv">${lanes}</table>${kv(u)}${sectionText(cs, 'upstream')}`;
}

// ------------------------------------------------------------------ events
async function loadEvents() {
  const f = new FormData($('#event-filter'));
  const q = new URLSearchParams({ limit: '200' });
  if (f.get('domain')) q.set('domain', f.get('domain'));
  if (f.get('point')) q.set('point', f.get('point'));
  const res = await fetch(`/api/events?${q}`);
  const body = await res.json();
  const text = String(f.get('text') ?? '').toLowerCase();
  const list = Array.isArray(body) ? body : [];
  $('#events tbody').innerHTML = list
    .filter((e) => !text || JSON.stringify(e).toLowerCase().includes(text))
    .map((e) => `<tr><td>${esc(fmtTime(e.wallTime))}</td><td>${esc(e.type)}</td><td>${esc(e.message)}${e.reason ? ` — ${esc(e.reason)}` : ''}</td></tr>`)
    .join('') || `<tr><td colspan="3">${esc(body.error?.message ?? 'no events')}</td></tr>`;
}
$('#event-filter').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void loadEvents();
});

// ------------------------------------------------------------------ live stream and the stale banner
function onStatus(cs) {
  state.last = cs;
  state.lastAt = Date.now();
  document.body.dataset.live = 'yes';
  $('#substation').textContent = `${cs.substation.name} ${cs.substation.code}`;
  $('#mine').textContent = `${cs.mine.name} ${cs.mine.code}`;
  $('#conn').textContent = `live · ${mineClock(cs.wallTime)} +08:00`;
  remember(cs.status.points, cs.wallTime);
  renderOverview(cs);
  renderPeople(cs);
  renderSeals(cs);
  renderUpstream(cs);
  checkStale();
}

function checkStale() {
  const age = state.lastAt ? Date.now() - state.lastAt : Infinity;
  const stale = age > STALE_MS;
  $('#stale').hidden = !stale;
  $('#stale-age').textContent = Number.isFinite(age) ? (age / 1000).toFixed(0) : '?';
  document.body.classList.toggle('is-stale', stale);
  if (stale && state.lastAt) $('#conn').textContent = 'no updates';
}
setInterval(checkStale, 500);

function connect() {
  const es = new EventSource('/api/stream');
  es.addEventListener('status', (ev) => onStatus(JSON.parse(ev.data)));
  // The gateway answers but its control socket does not (starting, reloading): stale at once.
  es.addEventListener('down', (ev) => {
    state.lastAt = Math.min(state.lastAt, Date.now() - STALE_MS - 1);
    $('#conn').textContent = `gateway: ${JSON.parse(ev.data).message}`;
    checkStale();
  });
}

// ------------------------------------------------------------------ login and actions
function showSession() {
  const s = state.session;
  $('#login').hidden = !!s;
  $('#whoami').hidden = !s;
  $('#whoami-text').textContent = s ? `${s.user} (${s.role})` : '';
  $('#action-submit').disabled = !s;
  $('#action-note').textContent = s ? `acting as ${s.user} (${s.role}); every action is checked and audited by the gateway` : 'read-only: log in with an operator account to act';
}

async function post(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.session) headers['X-CSRF-Token'] = state.session.csrf;
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
  return { status: res.status, body: await res.json() };
}

$('#login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const r = await post('/api/login', { user: f.get('user'), password: f.get('password') });
  ev.target.reset();
  state.session = r.status === 200 ? r.body : null;
  $('#action-result').textContent = r.status === 200 ? '' : `login refused: ${r.body.error?.message ?? r.status}`;
  showSession();
});
$('#logout').addEventListener('click', async () => {
  await post('/api/logout', {});
  state.session = null;
  showSession();
});
$('#action').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const r = await post('/api/action', { action: f.get('action'), target: f.get('target') || undefined, reason: f.get('reason') });
  const out = $('#action-result');
  out.dataset.status = String(r.status);
  out.textContent = r.status === 200 ? `done: ${r.body.command}` : `refused (${r.status} ${r.body.error?.code}): ${r.body.error?.message}`;
  if (r.status === 401) {
    state.session = null;
    showSession();
  }
});

async function start() {
  showPage();
  showSession();
  const [meta, history, session] = await Promise.all([fetch('/api/meta').then((r) => r.json()), fetch('/api/history').then((r) => r.json()), fetch('/api/session')]);
  state.meta = meta;
  state.history = history;
  if (session.status === 200) state.session = await session.json();
  showSession();
  connect();
}
void start();
