// The standard RS-485 line speeds: a config's bus, a board's line-speed parameter and the
// simulator's ports all take one of these. Bottom layer (core/): the driver that writes a
// line-speed parameter and the schema that reads one share it without knowing each other.
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
