// core/minegate-error.ts: one error pattern. A caller branches on `code` and points at `file` /
// `field`, whatever class of ours threw.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config-error.js';
import { FormatError } from '../../core/format-error.js';
import { isMinegateError, MinegateError } from '../../core/minegate-error.js';
import { BoardParamError } from '../../drivers/board-params.js';
import { ModbusError } from '../../protocols/modbus/errors.js';

describe('MinegateError', () => {
  it('carries code, file and field, and its class name; a missing place leaves no key behind', () => {
    const e = new MinegateError('X_BROKEN', 'broken', { file: '/etc/minegate/a.yaml', field: 'devices[0].bus', cause: new Error('inner') });
    expect([e.name, e.code, e.file, e.field, e.message, (e.cause as Error).message]).toEqual(['MinegateError', 'X_BROKEN', '/etc/minegate/a.yaml', 'devices[0].bus', 'broken', 'inner']);
    const bare = new MinegateError('Y', 'y');
    expect(Object.keys(bare)).not.toContain('file');
    expect(Object.keys(bare)).not.toContain('field');
    expect('cause' in bare).toBe(false);
  });

  it('our error classes extend it: config, format, device parameter and Modbus errors name what they concern', () => {
    const config = new ConfigError([{ file: 'b.yaml', line: 3, column: 1, path: 'points[1].device', message: 'no device "x"' }]);
    const format = new FormatError('bad-field', 'required', { file: '140212000001_CDSS_20260101000000.txt', record: 2, field: 5, fieldName: '监测值' });
    const param = new BoardParamError('out-of-range', 'baudRate', 'baudRate must be a standard line speed');
    const modbus = new ModbusError('timeout', 'no reply', { unit: 3 });
    for (const e of [config, format, param, modbus]) {
      expect(e).toBeInstanceOf(MinegateError);
      expect(isMinegateError(e)).toBe(true);
    }
    expect([config.code, config.file, config.field]).toEqual(['CONFIG_INVALID', 'b.yaml', 'points[1].device']);
    expect([format.code, format.file, format.field, format.record]).toEqual(['bad-field', '140212000001_CDSS_20260101000000.txt', 5, 2]);
    expect([param.code, param.field, param.param]).toEqual(['out-of-range', 'baudRate', 'baudRate']);
    expect(isMinegateError(modbus, 'timeout')).toBe(true);
    expect(isMinegateError(modbus, 'closed')).toBe(false);
    expect(isMinegateError(new Error('plain'))).toBe(false);
  });
});
