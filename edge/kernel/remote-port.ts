// A field bus as capabilities see it: the kernel owns every master (a serial line has one), so
// card readers and seal cameras read through the kernel, queued at normal priority behind its
// actuation writes.
import type { ModbusPort } from '../../drivers/modbus-device.js';
import type { KernelCall } from './safety-client.js';

export function remotePort(busId: string, call: KernelCall): ModbusPort {
  return {
    read: (unit, table, address, count, opts) => call('modbusRead', [busId, unit, table, address, count, { ...opts, priority: 'normal' }]) as Promise<number[]>,
    write: (unit, table, address, values, opts) => call('modbusWrite', [busId, unit, table, address, values, { ...opts, priority: 'normal' }]) as Promise<void>,
  };
}
