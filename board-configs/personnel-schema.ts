// Personnel positioning (人员定位) parts of a substation config: roster, areas, stations (readers).
// Owned by the personnel capability; schema.ts includes it as the optional `personnel` key.
import { z } from 'zod';

export const PersonnelSchema = z.looseObject({});
