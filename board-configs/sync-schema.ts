// Upstream sync (store-and-forward to the national platform) part of a substation config: the
// platform broker, TLS files, the key files that sign batches and verify commands, snapshot
// intervals, outbox caps, an optional bandwidth cap, an optional file-drop directory for an
// existing networking host, and the file encoding. schema.ts includes it as the optional `sync`
// key; without it the gateway sends nothing upstream. Shape and types only: cross-checks are in
// sync/config-checks.ts. Every default is collected in SYNC_DEFAULTS.
import { z } from 'zod';

/** Defaults of the sync settings, in one reviewable place. */
export const SYNC_DEFAULTS = {
  /** Substation signing key and platform command key, relative to the data dir (`minegate keys generate`). */
  privateKeyPath: 'keys/substation.key.pem',
  platformKeyPath: 'keys/platform.pub.pem',
  /** The outbox database, relative to the data dir: a file of its own so its byte cap is the file's. */
  outboxFile: 'outbox.db',
  snapshots: {
    /** CDSS point snapshots (MT/T 1201 real-time data). */
    cdssMs: 10_000,
    /** RYSS personnel snapshot. */
    ryssMs: 30_000,
    /** JZSS station status. */
    jzssMs: 60_000,
    /** FZSS substation status. */
    fzssMs: 60_000,
  },
  outbox: {
    /** Summed payload bytes of stored batches (the SD card's share for a platform outage). */
    maxBytes: 256 * 1024 * 1024,
    /** Routine snapshots older than this are dropped (with a gap marker); AQ 6201 keeps 7 days locally. */
    maxAgeMs: 7 * 86_400_000,
  },
  /** Payload bytes per second upstream; null = unlimited. */
  bytesPerSecond: null as number | null,
  /**
   * When the outbox frees a batch: 'receipt' = only once the platform's signed receipt covers it
   * (end to end; needs the platform key), 'puback' = on the broker's PUBACK (a platform that sends
   * no receipts; a broker that loses the platform's session then loses the batches).
   */
  delivery: 'receipt' as 'receipt' | 'puback',
  /** No receipt this long after a PUBACK: send the unreceipted batches again. */
  receiptTimeoutMs: 30_000,
  /** Extended headers of the definition files (CDDY: monitoring; RYXX: positioning): 系统型号; 系统名称; 厂家; 安标有效期. */
  systems: {
    monitoring: { model: 'minegate', name: 'minegate 安全监控联网网关', manufacturer: 'minegate', certificateExpiry: '' },
    positioning: { model: 'minegate', name: 'minegate 人员定位联网网关', manufacturer: 'minegate', certificateExpiry: '' },
  },
  encoding: 'utf-8' as 'utf-8' | 'gb18030',
  /** Authority recorded on a remote cut ordered by the platform (must be in safety.remoteCut.authorities when that list is set). */
  remoteCutAuthority: 'platform',
  /** How long a platform remote cut holds when the command names no duration. */
  remoteCutDurationMs: 3_600_000,
} as const;

const ms = (min: number, max: number) => z.number().int().min(min).max(max);
const path = z.string().min(1);

export const SyncTlsSchema = z.strictObject({
  /** CA bundle that signed the platform broker's certificate (PEM). */
  caPath: path.optional(),
  /** This substation's client certificate and key (PEM), for brokers that require mutual TLS. */
  certPath: path.optional(),
  /** Private key of that client certificate (PEM). */
  keyPath: path.optional(),
  /** false only for lab setups with self-signed brokers. */
  rejectUnauthorized: z.boolean().default(true),
});

export const SyncSnapshotsSchema = z.strictObject({
  cdssMs: ms(1_000, 600_000).default(SYNC_DEFAULTS.snapshots.cdssMs),
  ryssMs: ms(1_000, 600_000).default(SYNC_DEFAULTS.snapshots.ryssMs),
  jzssMs: ms(1_000, 3_600_000).default(SYNC_DEFAULTS.snapshots.jzssMs),
  fzssMs: ms(1_000, 3_600_000).default(SYNC_DEFAULTS.snapshots.fzssMs),
});

export const SyncOutboxSchema = z.strictObject({
  maxBytes: z.number().int().min(1024 * 1024).default(SYNC_DEFAULTS.outbox.maxBytes),
  maxAgeMs: ms(60_000, 400 * 86_400_000).default(SYNC_DEFAULTS.outbox.maxAgeMs),
});

// A field of an MT/T 1201 file: no separators (; ~ |) and no full-width semicolon.
const headerText = z.string().regex(/^[^;~|；\r\n]*$/, 'no ; ~ | or line breaks (they separate MT/T 1201 fields and records)');
const systemHeader = (d: { model: string; name: string; manufacturer: string; certificateExpiry: string }) =>
  z.strictObject({
    /** 系统型号 in the MT/T 1201 definition-file header. */
    model: headerText.default(d.model),
    name: headerText.default(d.name),
    /** 生产厂家 in the same header. */
    manufacturer: headerText.default(d.manufacturer),
    /** 安标有效期, e.g. 2027-06-30; empty when unknown. */
    certificateExpiry: z.string().regex(/^(\d{4}-\d{2}-\d{2})?$/, 'yyyy-MM-dd or empty').default(d.certificateExpiry),
  });

export const SyncSchema = z.strictObject({
  /** The platform broker: mqtts://host:8883 in production (mqtt:// only on a trusted link or loopback). */
  brokerUrl: z.string().regex(/^(mqtts?|tcp|ssl):\/\/[^\s/]+(:\d+)?\/?$/, 'a broker URL like mqtts://platform.example:8883'),
  /** MQTT user name at the platform broker, if it asks for one. */
  username: z.string().min(1).optional(),
  /** MQTT password for that user (keep the config file 0640). */
  password: z.string().min(1).optional(),
  /** TLS files for an mqtts:// broker: CA, client certificate and key. */
  tls: SyncTlsSchema.optional(),
  /** Substation signing key (PKCS#8 PEM); relative paths are under the data dir. */
  privateKeyPath: path.default(SYNC_DEFAULTS.privateKeyPath),
  /** Platform public key (SPKI PEM) that signs commands; when the file is absent no command is accepted. */
  platformKeyPath: path.default(SYNC_DEFAULTS.platformKeyPath),
  /** The outbox database file; relative paths are under the data dir. */
  outboxFile: path.default(SYNC_DEFAULTS.outboxFile),
  // prefault, not default: zod 4's default({}) would skip the inner defaults.
  /** How often each routine MT/T 1201 snapshot file is sent. */
  snapshots: SyncSnapshotsSchema.prefault({}),
  /** Caps of the store-and-forward outbox (bytes, age of routine snapshots). */
  outbox: SyncOutboxSchema.prefault({}),
  /** Upstream bandwidth cap in payload bytes per second (a shared radio or DSL link); absent = unlimited. */
  bytesPerSecond: z.number().int().min(1024).optional(),
  /** Bucket of the bandwidth cap: how many bytes may go at once after an idle spell; absent = one second of bytesPerSecond. */
  burstBytes: z.number().int().min(1024).optional(),
  delivery: z.enum(['receipt', 'puback']).default(SYNC_DEFAULTS.delivery),
  receiptTimeoutMs: ms(1_000, 3_600_000).default(SYNC_DEFAULTS.receiptTimeoutMs),
  /** Also write every sealed MT/T 1201 batch as a file here, for an existing networking host (FTP pickup). */
  fileDropDir: path.optional(),
  /** Text encoding of the MT/T 1201 files (gb18030 for hosts that expect GBK). */
  encoding: z.enum(['utf-8', 'gb18030']).default(SYNC_DEFAULTS.encoding),
  /** An extreme-weather warning from the platform also starts an evacuation of these personnel areas. */
  weatherEvacuation: z
    .strictObject({
      /** Personnel area ids (or codes) evacuated on the warning. */
      areas: z.array(z.string().min(1)).min(1),
    })
    .optional(),
  /** What the MT/T 1201 definition files say about the systems behind this gateway. */
  systems: z
    .strictObject({
      /** The safety monitoring system (安全监控系统) header: CDSS/CDDY files. */
      monitoring: systemHeader(SYNC_DEFAULTS.systems.monitoring).prefault({}),
      /** The personnel positioning system (人员定位系统) header: RY* files. */
      positioning: systemHeader(SYNC_DEFAULTS.systems.positioning).prefault({}),
    })
    .prefault({}),
  remoteCutAuthority: z.string().min(1).default(SYNC_DEFAULTS.remoteCutAuthority),
  remoteCutDurationMs: ms(60_000, 7 * 86_400_000).default(SYNC_DEFAULTS.remoteCutDurationMs),
});
export type SyncConfig = z.infer<typeof SyncSchema>;
