// What the gateway's status says, as Prometheus series: per device poll counters and a latency
// histogram, alarms / holds / outputs with every configured one present at zero, the reading
// store, the upstream outbox and uplink, the safety kernel's cadence and the log sink.
// Everything but the histogram is read from status() at scrape time. The histogram is fed from
// onReadings (observePoll): a scrape every 15 s would see only the last of ~75 polls of a device.
// A device with no points (a relay module polled for its read-back) sends the main process no
// readings, so its histogram is sampled at scrape time instead: one observation of its last round
// trip per scrape in which it answered (the exact poll and failure counts are the counters).
import type { LoadedConfig } from './config/load-config.js';
import type { GatewayStatus } from './gateway.js';
import { defineGatewayMetrics, type MetricsRegistry } from './metrics.js';
import type { DeviceStatus } from './poller.js';
import { ALARM_KINDS } from './safety/alarms.js';
import { RULE_IDS } from './safety/holds.js';
import type { UpstreamStatusJson } from '../sync/sync-capability.js';

/** Poll round trips: Modbus TCP answers in ms, RTU at 9600 baud in tens of ms, a timeout at 0.3–1 s. */
export const POLL_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface GatewayCollector {
  /** Pull status() into the series (registry.onCollect). */
  collect(status: GatewayStatus): void;
  /** One poll batch as the kernel delivered it (gateway.onReadings): a successful poll is observed. */
  observePoll(device: DeviceStatus): void;
}

const ms = (v: number): number => v / 1000;

/** One group of series: defined at start, pulled from status() at scrape time. */
type SeriesGroup = (s: GatewayStatus) => void;
type Metrics = ReturnType<typeof defineGatewayMetrics>;
type Config = LoadedConfig['config'];

export function defineGatewayCollector(registry: MetricsRegistry, loaded: LoadedConfig): GatewayCollector {
  const { config } = loaded;
  const m = defineGatewayMetrics(registry);
  const devices = deviceSeries(registry, config, m);
  const groups: SeriesGroup[] = [
    devices.collect,
    outputSeries(registry, config, m),
    storeSeries(registry, m),
    kernelSeries(registry),
  ];
  // Upstream: present only when the config has a sync section.
  if (config.sync) groups.push(upstreamSeries(registry));
  return {
    observePoll: devices.observePoll,
    collect(s) {
      for (const group of groups) group(s);
    },
  };
}

function deviceSeries(registry: MetricsRegistry, config: Config, m: Metrics): { collect: SeriesGroup; observePoll(device: DeviceStatus): void } {
  const dev = ['bus', 'device'] as const;
  const polls = registry.counter({ name: 'minegate_device_polls_total', help: 'Polls of a device (answered or not), as the kernel counts them.', labelNames: dev });
  const pollFailures = registry.counter({ name: 'minegate_device_poll_failures_total', help: 'Polls of a device that failed (timeout, exception, bad frame).', labelNames: dev });
  const pollDuration = registry.histogram({ name: 'minegate_poll_duration_seconds', help: 'Round trip of answered polls, seconds (polls whose copy the kernel dropped under load are missing).', labelNames: dev, buckets: POLL_BUCKETS });
  // Every configured device shows from the first scrape, at zero.
  for (const d of config.devices) {
    const l = { bus: d.bus, device: d.id };
    polls.setTotal(0, l);
    pollFailures.setTotal(0, l);
    pollDuration.zero(l);
    m.setDeviceState(d.id, 'unknown');
  }
  const busOf = new Map(config.devices.map((d) => [d.id, d.bus]));
  const withPoints = new Set(config.points.map((p) => p.device));
  const answeredSeen = new Map<string, number>();
  return {
    observePoll(device) {
      // Failed polls are dispatched too (comm-fault readings); their latency is the last good one.
      if (!withPoints.has(device.id)) return;
      if (device.consecutiveFailures !== 0 || device.lastLatencyMs === null) return;
      pollDuration.observe(ms(device.lastLatencyMs), { bus: device.bus, device: device.id });
    },
    collect(s) {
      for (const d of s.devices) {
        const l = { bus: busOf.get(d.id) ?? d.bus, device: d.id };
        polls.setTotal(d.polls, l);
        pollFailures.setTotal(d.failures, l);
        m.setDeviceState(d.id, d.state);
        if (d.lastLatencyMs !== null) m.pollLatency.set(ms(d.lastLatencyMs), l);
        const answered = d.polls - d.failures;
        if (!withPoints.has(d.id) && d.lastLatencyMs !== null && answered > (answeredSeen.get(d.id) ?? 0)) pollDuration.observe(ms(d.lastLatencyMs), l);
        answeredSeen.set(d.id, answered);
      }
    },
  };
}

/** Alarms, holds and outputs: every configured output, alarm kind and hold rule present at zero. */
function outputSeries(registry: MetricsRegistry, config: Config, m: Metrics): SeriesGroup {
  const alarms = registry.gauge({ name: 'minegate_safety_alarms', help: 'Active safety alarms, by kind and severity.', labelNames: ['kind', 'severity'] });
  const outEnergized = registry.gauge({ name: 'minegate_output_energized', help: 'Output commanded energised (1) or de-energised (0).', labelNames: ['output', 'kind'] });
  const outHolds = registry.gauge({ name: 'minegate_output_holds', help: 'Safety holds keeping an output off.', labelNames: ['output', 'kind'] });
  const outConfirmed = registry.gauge({ name: 'minegate_output_confirmed', help: 'Read-back agrees with the command (1), disagrees (0); no sample before the first read-back.', labelNames: ['output', 'kind'] });
  return (s) => {
    for (const kind of ALARM_KINDS) for (const severity of ['danger', 'warning']) alarms.set(s.alarms.filter((a) => a.kind === kind && a.severity === severity).length, { kind, severity });
    for (const rule of RULE_IDS) m.holds.set(s.holds.filter((h) => h.rule === rule).length, { kind: rule });
    const outputs = new Map(s.outputs.map((o) => [o.id, o]));
    for (const o of config.outputs) {
      const now = outputs.get(o.id);
      const l = { output: o.id, kind: o.kind };
      outEnergized.set(now?.energize ? 1 : 0, l);
      outHolds.set(now?.holds.length ?? 0, l);
      if (now?.confirmed === true || now?.confirmed === false) outConfirmed.set(now.confirmed ? 1 : 0, l);
      else outConfirmed.remove(l);
    }
  };
}

function storeSeries(registry: MetricsRegistry, m: Metrics): SeriesGroup {
  const storeWritten = registry.counter({ name: 'minegate_store_readings_written_total', help: 'Readings written to the SQLite store.' });
  const storeDropped = registry.counter({ name: 'minegate_store_readings_dropped_total', help: 'Readings dropped before the store (write queue full).' });
  const storeFailures = registry.counter({ name: 'minegate_store_write_failures_total', help: 'Store write transactions that failed.' });
  const storeQueued = registry.gauge({ name: 'minegate_store_queued_readings', help: 'Readings waiting to be written to the store.' });
  let droppedSeen = 0;
  return (s) => {
    storeWritten.setTotal(s.store.written);
    storeDropped.setTotal(s.store.dropped);
    storeFailures.setTotal(s.store.failures);
    storeQueued.set(s.store.queued);
    if (s.store.dropped > droppedSeen) {
      m.dropped.inc(s.store.dropped - droppedSeen, { reason: 'reading-queue-full' });
      droppedSeen = s.store.dropped;
    }
  };
}

/** The safety kernel's cadence, and the log sink (the kernel's logs reach it too). */
function kernelSeries(registry: MetricsRegistry): SeriesGroup {
  const kernelUp = registry.gauge({ name: 'minegate_kernel_up', help: 'The safety kernel process is alive (1) or not (0).' });
  const kernelInfo = registry.gauge({ name: 'minegate_kernel_info', help: 'The safety kernel process, by pid (value always 1).', labelNames: ['pid'] });
  const cycles = registry.counter({ name: 'minegate_kernel_cycles_total', help: 'Safety loop cycles run by the kernel.' });
  const cycleAge = registry.gauge({ name: 'minegate_kernel_last_cycle_age_seconds', help: 'Age of the kernel\'s last cycle as the main process sees it, seconds (+Inf before the first).' });
  const maxCycle = registry.gauge({ name: 'minegate_kernel_max_cycle_seconds', help: 'Longest single safety cycle since start, seconds.' });
  const maxTickGap = registry.gauge({ name: 'minegate_kernel_max_tick_gap_seconds', help: 'Longest gap between two timer cycles since start, seconds.' });
  const maxStall = registry.gauge({ name: 'minegate_kernel_max_stall_seconds', help: 'Longest event-loop stall of the kernel process since start, seconds.' });
  const kernelDropped = registry.counter({ name: 'minegate_kernel_dropped_total', help: 'Routine copies the kernel dropped because the main process did not keep up (never safety records).', labelNames: ['what'] });
  const logDropped = registry.counter({ name: 'minegate_log_dropped_lines_total', help: 'Log lines dropped (disk full, stalled, pipe gone).' });
  const logFailures = registry.counter({ name: 'minegate_log_write_failures_total', help: 'Log write errors.' });
  return (s) => {
    const k = s.kernel;
    kernelUp.set(k.alive ? 1 : 0);
    kernelInfo.reset();
    if (k.pid !== null) kernelInfo.set(1, { pid: k.pid });
    cycles.setTotal(k.cycles);
    cycleAge.set(ms(k.lastCycleAgeMs));
    maxCycle.set(ms(k.maxCycleMs));
    maxTickGap.set(ms(k.maxTickGapMs));
    maxStall.set(ms(k.maxStallMs));
    kernelDropped.setTotal(k.dropped.readings, { what: 'readings' });
    kernelDropped.setTotal(k.dropped.logs, { what: 'logs' });
    logDropped.setTotal(s.log.dropped);
    logFailures.setTotal(s.log.failures);
  };
}

function upstreamSeries(registry: MetricsRegistry): SeriesGroup {
  const up = {
    connected: registry.gauge({ name: 'minegate_uplink_connected', help: 'Connected to the upstream broker (1) or not (0).' }),
    backlogBatches: registry.gauge({ name: 'minegate_outbox_batches', help: 'Unacknowledged batches on disk, per lane.', labelNames: ['lane'] }),
    backlogRecords: registry.gauge({ name: 'minegate_outbox_records', help: 'Unacknowledged records on disk, per lane.', labelNames: ['lane'] }),
    backlogBytes: registry.gauge({ name: 'minegate_outbox_bytes', help: 'Unacknowledged bytes on disk, per lane.', labelNames: ['lane'] }),
    maxBytes: registry.gauge({ name: 'minegate_outbox_max_bytes', help: 'Outbox size cap, bytes.' }),
    awaiting: registry.gauge({ name: 'minegate_uplink_awaiting_receipt_batches', help: 'Batches sent but not yet covered by a platform receipt.' }),
    ackedBatches: registry.counter({ name: 'minegate_uplink_acked_batches_total', help: 'Batches acknowledged upstream.' }),
    ackedRecords: registry.counter({ name: 'minegate_uplink_acked_records_total', help: 'Records acknowledged upstream.' }),
    dropped: registry.counter({ name: 'minegate_outbox_dropped_records_total', help: 'Routine records dropped from the outbox, by reason (a gap marker goes upstream).', labelNames: ['reason'] }),
    rejected: registry.counter({ name: 'minegate_outbox_rejected_total', help: 'Records the outbox refused.' }),
    lostCritical: registry.counter({ name: 'minegate_outbox_lost_critical_total', help: 'Critical records that could not be kept (should stay 0).' }),
  };
  return (s) => {
    const sync = s.capabilities.sync as UpstreamStatusJson | undefined;
    if (!sync) return;
    up.connected.set(sync.connected ? 1 : 0);
    for (const [lane, b] of Object.entries(sync.backlog)) {
      up.backlogBatches.set(b.batches, { lane });
      up.backlogRecords.set(b.records, { lane });
      up.backlogBytes.set(b.bytes, { lane });
    }
    up.maxBytes.set(sync.maxBytes);
    up.awaiting.set(sync.awaitingReceipt);
    up.ackedBatches.setTotal(sync.acked.batches);
    up.ackedRecords.setTotal(sync.acked.records);
    for (const [reason, n] of Object.entries(sync.dropped ?? {})) up.dropped.setTotal(n, { reason });
    up.rejected.setTotal(sync.rejected);
    up.lostCritical.setTotal(sync.lostCritical);
  };
}
