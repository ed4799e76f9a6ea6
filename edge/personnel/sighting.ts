// What the card-reader drivers hand the personnel engine. The drivers (drivers/card-reader-*.ts)
// declare `CardSighting` in protocols/card-reader/types.ts; until that lands this is a structurally
// identical copy, so either type can be passed without conversion.

/** One card heard by one reader in one report. */
export interface CardSighting {
  /** Reader address (personnel.stations[].reader). */
  reader: number;
  /** Tag id the card transmits (uint32). */
  tag: number;
  /** Signal strength, dBm. */
  rssi: number;
  /** Distance from the reader in metres, signed by direction (RYSS 距基站距离). */
  distanceM: number;
  lowBattery: boolean;
  /** The card's SOS button flag: repeated in every report while the card signals it. */
  sos: boolean;
  /** When the reader report arrived: wall ms (records) and monotonic ms (timers). */
  wallTime: number;
  monoTime: number;
}

/**
 * A sighting as the engine accepts it. `sosDouble` is optional: readers whose frame carries a
 * "double press" flag can pass it (an acknowledgement 叫应 by card); without it two SOS presses
 * within personnel.evacuation.doublePressWindowMs count as a double press.
 */
export type PersonnelSighting = CardSighting & { sosDouble?: boolean };
