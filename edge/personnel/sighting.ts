// What the card-reader drivers hand the personnel engine: `CardSighting` from
// protocols/card-reader/types.ts (both reader drivers produce it). `sosDouble` is the card's own
// "double press" flag; without it two SOS presses within personnel.evacuation.doublePressWindowMs
// count as a double press (an acknowledgement 叫应 by card).
import type { CardSighting } from '../../protocols/card-reader/types.js';

export type { CardSighting };
export type PersonnelSighting = CardSighting;
