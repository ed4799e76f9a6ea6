// The clock lives in the bottom layer (core/clock.ts); edge modules import it from here too.
export * from '../core/clock.js';
