// The narrow view of personnel positioning (人员定位) the seal cross-checks need. The seal engine
// depends on this interface only; the personnel capability adapts its engine to it, so either side
// can change inside without breaking the other.

export interface PersonnelView {
  /** Persons underground now by positioning (cards with the underground flag, as in RYSS). */
  undergroundCount(): number;
  /** Cards that went underground through this station or area at or after `sinceWallMs` (check-ins). */
  checkInsAt(stationOrArea: string, sinceWallMs: number): number;
  /** Wall time of the newest card sighting by any reader, or null if none since start. */
  lastSightingWallMs(): number | null;
  /** False when the positioning readers cannot be trusted to see cards (link or readers down). */
  readersOnline(): boolean;
  /**
   * The readers the seal checks depend on that are not online, named for people (e.g.
   * "station ST-MAIN (reader 1) offline"); empty when all are. Optional: a view without it only
   * says "offline".
   */
  offlineReaders?(): string[];
}
