// Personnel card readers (读卡分站): the values that cross the wire and what the drivers hand to the
// personnel state. Bytes-level and device-level vocabulary only: nothing here knows areas or alarms.
// The byte layout is documented in protocols/card-reader/README.md.

/** Frame type byte. The high bit marks downlink (gateway → reader) frames. */
export const CardFrameType = {
  CardReport: 0x01,
  Status: 0x02,
  PageCard: 0x81,
  PageAck: 0x82,
} as const;
export type CardFrameTypeCode = (typeof CardFrameType)[keyof typeof CardFrameType];

/** Page command addressed to this tag reaches every card in the reader's range (evacuation call). */
export const ALL_CARDS = 0xffffffff;

/** One card seen by a reader in one report. */
export interface CardRecord {
  /** Card tag id, uint32. */
  tag: number;
  /** Received signal strength, dBm (int8). */
  rssi: number;
  /**
   * Distance from the reader in metres, 0.1 m resolution. Negative on the reader's "B" side
   * (the side away from the shaft, by installation convention); 0 when the reader cannot range.
   */
  distanceM: number;
  lowBattery: boolean;
  /** SOS (求救) button pressed: set for single and double presses. */
  sos: boolean;
  /**
   * The button was pressed twice in quick succession (cards that tell it apart). The personnel
   * engine takes it as the card's acknowledgement (叫应) when an evacuation waits for one, else as an
   * SOS; that is why a double press also sets `sos`. Always set by the decoder.
   */
  sosDouble?: boolean;
}

/** Uplink: the cards currently in a reader's range (possibly none: an empty report is also a heartbeat). */
export interface CardReport {
  type: 'card-report';
  reader: number;
  seq: number;
  records: CardRecord[];
}

/** Power state as MT/T 1201 JZSS 供电状态 codes it: 0 DC (battery), 1 AC (mains), 2 power fault. */
export type ReaderPower = 'dc' | 'ac' | 'fault' | 'unknown';

/** Uplink: reader heartbeat with its health. */
export interface ReaderStatus {
  type: 'status';
  reader: number;
  seq: number;
  power: ReaderPower;
  /** The reader can page cards (two-way call, 呼叫). */
  canPage: boolean;
  /** Cards the reader currently has in range (a check on the completeness of its reports). */
  cardsInRange: number;
}

/** call = 呼叫 (the card beeps/flashes), evacuate = 撤离 call, cancel = stop an active call. */
export type PageMode = 'call' | 'evacuate' | 'cancel';

/** Downlink: page a card (or ALL_CARDS) through one reader. `seq` is the gateway's command sequence. */
export interface PageCommand {
  type: 'page';
  reader: number;
  seq: number;
  tag: number;
  mode: PageMode;
}

/** delivered: the reader sent the page to the card; not-in-range: the card is not near this reader. */
export type PageResult = 'delivered' | 'not-in-range' | 'unsupported';

/** Uplink: a reader's answer to a PageCommand. `seq` is the reader's own uplink sequence. */
export interface PageAck {
  type: 'page-ack';
  reader: number;
  seq: number;
  /** Sequence number of the PageCommand this answers. */
  commandSeq: number;
  tag: number;
  result: PageResult;
}

export type CardFrame = CardReport | ReaderStatus | PageCommand | PageAck;

/**
 * One card seen by one reader, as the personnel state consumes it. Produced identically by the
 * RS-485 framed driver and the Modbus-FIFO driver.
 */
export interface CardSighting {
  reader: number;
  tag: number;
  rssi: number;
  distanceM: number;
  lowBattery: boolean;
  sos: boolean;
  /** Double press (see CardRecord.sosDouble); always set by minegate's drivers (optional so hand-built sightings stay short). */
  sosDouble?: boolean;
  /** When the gateway received it: wall ms since the epoch (records) and monotonic ms (ages). */
  wallTime: number;
  monoTime: number;
}

/** What the drivers know about one reader. Offline means: treat its area's headcount as unknown. */
export interface ReaderState {
  reader: number;
  online: boolean;
  /** Times of the last frame (serial) or successful poll (Modbus); null if never heard. */
  lastHeardWall: number | null;
  lastHeardMono: number | null;
  /** Frames (serial: sequence gaps) or records (Modbus: FIFO overflows) known lost since start. */
  lost: number;
  /** Last status the reader reported, null before the first one. */
  power: ReaderPower | null;
  canPage: boolean | null;
}

/**
 * - frame:     the reader was heard (first time, or again after being offline).
 * - silent:    nothing from the reader for the configured offline time.
 * - link-down: the bus link dropped: every reader on it is unknown until heard again.
 * - closed:    the driver was closed by its owner.
 */
/**
 * frame: heard (online). silent: not heard for the limit after being heard. never-heard: a
 * configured reader not heard within the limit after watching started (dead from power-up).
 * link-down / closed: the line itself went away.
 */
export type ReaderChangeReason = 'frame' | 'silent' | 'never-heard' | 'link-down' | 'closed';

export interface ReaderStateChange {
  reader: number;
  online: boolean;
  reason: ReaderChangeReason;
  wallTime: number;
  monoTime: number;
  /** Monotonic time the reader was last heard, null if never. */
  lastHeardMono: number | null;
}

/** Records or frames that a reader sent but the gateway never got. */
export interface ReaderLoss {
  reader: number;
  /** Serial: frames missing from the sequence. Modbus: records the reader's FIFO dropped. */
  count: number;
  unit: 'frames' | 'records';
  wallTime: number;
  monoTime: number;
}

/** Time source (edge/clock.ts `Clock` satisfies it): wall ms for records, monotonic ms for ages. */
export interface TimeSource {
  wall(): number;
  mono(): number;
}

/** Events both reader drivers emit, so the personnel state can consume either. */
export interface CardReaderEvents {
  /** Every record of one report frame (serial) or one FIFO window (Modbus), in order. */
  sightings: [CardSighting[]];
  /** Each record on its own (only built when someone listens). */
  sighting: [CardSighting];
  reader: [ReaderStateChange];
  loss: [ReaderLoss];
  /** The bus link came up (first time and after every reopen). */
  open: [];
  /** The bus link dropped; it will be reopened. Not emitted for close(). */
  close: [Error | undefined];
}
