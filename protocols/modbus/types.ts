// Modbus data model shared by the master (gateway side) and the slave (simulator side).
// Bytes-level only: nothing here knows what a methane sensor is.

/** The four Modbus data tables. */
export type ModbusTable = 'coil' | 'discrete' | 'holding' | 'input';

/** Public function codes minegate speaks. */
export const FunctionCode = {
  ReadCoils: 0x01,
  ReadDiscreteInputs: 0x02,
  ReadHoldingRegisters: 0x03,
  ReadInputRegisters: 0x04,
  WriteSingleCoil: 0x05,
  WriteSingleRegister: 0x06,
  WriteMultipleCoils: 0x0f,
  WriteMultipleRegisters: 0x10,
} as const;
export type FunctionCode = (typeof FunctionCode)[keyof typeof FunctionCode];

/** Standard exception codes (Modbus Application Protocol v1.1b3 §7). */
export const ExceptionCode = {
  IllegalFunction: 0x01,
  IllegalDataAddress: 0x02,
  IllegalDataValue: 0x03,
  ServerDeviceFailure: 0x04,
  GatewayTargetFailedToRespond: 0x0b,
} as const;

/** A decoded request, as a slave sees it. */
export type SlaveRequest =
  | { fn: 0x01 | 0x02 | 0x03 | 0x04; address: number; count: number }
  | { fn: 0x05; address: number; value: boolean }
  | { fn: 0x06; address: number; value: number }
  | { fn: 0x0f; address: number; values: boolean[] }
  | { fn: 0x10; address: number; values: number[] };

/** What a slave device answers: data for reads, an echo for writes (the codec builds it), or an exception. */
export type SlaveResponse =
  | { kind: 'bits'; values: boolean[] }
  | { kind: 'registers'; values: number[] }
  | { kind: 'write-ok' }
  | { kind: 'exception'; code: number };

/** How a simulated slave misbehaves on the wire for one request. */
export type WireFault = 'no-response' | 'garbage' | 'crc-error' | 'truncate' | 'wrong-unit' | 'wrong-function';

/**
 * One addressable slave on a simulated bus. The server owns framing and line timing;
 * the device owns register contents and decides whether to misbehave.
 */
export interface SlaveDevice {
  readonly unit: number;
  handle(request: SlaveRequest): SlaveResponse;
  /** Consulted before each reply; null means answer normally. */
  wireFault?(): WireFault | null;
  /** Extra processing time before the reply, in ms (a slow device); consulted per request. */
  responseDelayMs?(): number;
}
