// The one place that turns a bus entry of the board config into a Modbus master on a link.
import type { BusConfig } from '../board-configs/schema.js';
import { SerialLink } from '../protocols/links/serial-link.js';
import { TcpLink } from '../protocols/links/tcp-link.js';
import { ModbusMaster } from '../protocols/modbus/master.js';

export function createMaster(bus: BusConfig): ModbusMaster {
  switch (bus.type) {
    case 'rtu-serial':
      return new ModbusMaster({
        link: new SerialLink({ path: bus.path, baudRate: bus.baudRate, parity: bus.parity, dataBits: bus.dataBits, stopBits: bus.stopBits }),
        framing: 'rtu',
        responseTimeoutMs: bus.responseTimeoutMs,
        // Modbus RTU wants ≥ 3.5 character times of silence between frames.
        turnaroundMs: Math.max(2, Math.ceil((3.5 * 11 * 1000) / bus.baudRate)),
      });
    case 'rtu-over-tcp':
      return new ModbusMaster({
        link: new TcpLink({ host: bus.host, port: bus.port, connectTimeoutMs: bus.responseTimeoutMs * 3 }),
        framing: 'rtu',
        responseTimeoutMs: bus.responseTimeoutMs,
      });
    case 'tcp':
      return new ModbusMaster({
        link: new TcpLink({ host: bus.host, port: bus.port, connectTimeoutMs: bus.responseTimeoutMs * 3 }),
        framing: 'tcp',
        responseTimeoutMs: bus.responseTimeoutMs,
      });
  }
}
