// The config edit a changed unit id or baud calls for: where the value sits in the YAML file
// (line and column, for the technician) and, with --update-config, changing exactly that value.
import { readFileSync, statSync } from 'node:fs';
import { isAlias, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { ParamChange } from '../../drivers/board-params.js';
import { writeFileAtomically } from '../../core/atomic-file.js';
import { ConfigError } from '../../core/config-error.js';
import { parseConfigText } from '../config/load-config.js';
import type { DeviceLink } from './board-link.js';

export interface ConfigEdit {
  file: string;
  line: number;
  column: number;
  /** Field path, e.g. devices[2].unit */
  path: string;
  from: number | null;
  to: number;
  /** Set when the value cannot be edited in place (missing key, alias): do it by hand. */
  manual?: string;
}

/** Where in the config file the value at `path` sits, and what it becomes. */
export function planEdit(file: string, path: (string | number)[], to: number): ConfigEdit {
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true });
  const printable = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  const node = doc.getIn(path, true);
  if (isScalar(node) && node.range && typeof node.value === 'number') {
    const { line, col } = lineCounter.linePos(node.range[0]);
    return { file, line, column: col, path: printable, from: node.value, to };
  }
  // The nearest parent that exists, so the technician knows where to add the key.
  const parent = doc.getIn(path.slice(0, -1), true);
  const at = isMap(parent) && parent.range ? lineCounter.linePos(parent.range[0]) : { line: 1, col: 1 };
  const why = isAlias(node) ? 'is an alias (*name); edit the anchor by hand' : 'is not set (the default applies); add the key by hand';
  return { file, line: at.line, column: at.col, path: printable, from: null, to, manual: `${printable} ${why}: ${String(path.at(-1))}: ${to}` };
}

/**
 * Change exactly the characters of one value, keeping every comment and the layout, then check
 * the whole config again before it replaces the old file (atomically, same permissions).
 */
export function applyEdit(edit: ConfigEdit, path: (string | number)[]): void {
  if (edit.manual) throw new Error(`cannot update ${edit.file} automatically: ${edit.manual}`);
  const text = readFileSync(edit.file, 'utf8');
  const doc = parseDocument(text, { keepSourceTokens: true });
  const node = doc.getIn(path, true);
  if (!isScalar(node) || !node.range || node.value !== edit.from) {
    throw new Error(`${edit.file} changed since it was read (${edit.path} is no longer ${String(edit.from)}); not updated`);
  }
  const next = text.slice(0, node.range[0]) + String(edit.to) + text.slice(node.range[1]);
  try {
    parseConfigText(next, edit.file);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`the edited config would be invalid, so ${edit.file} was left as it was:\n${err.message}`);
    throw err;
  }
  writeFileAtomically(edit.file, next, statSync(edit.file).mode & 0o777);
}

/** The config edit a verified link change calls for (unit id of the device, or speed of its bus). */
export function linkEdit(link: DeviceLink, change: ParamChange): { edit: ConfigEdit; path: (string | number)[]; warning: string } | null {
  if (!change.verified || change.after === null || change.after === change.before) return null;
  if (change.affects === 'unit-id') {
    const path = ['devices', link.deviceIndex, 'unit'];
    return {
      edit: planEdit(link.loaded.file, path, change.after),
      path,
      warning: `until the config says unit ${change.after} and the gateway reloads it, ${link.device.id} shows comm-fault (its zones may be cut by fault lockout)`,
    };
  }
  // A Modbus TCP bus has no line speed in the config: nothing there follows the board's baud.
  if (change.affects === 'baud-rate' && link.bus.type !== 'tcp') {
    const busIndex = link.loaded.config.buses.findIndex((b) => b.id === link.bus.id);
    const path = ['buses', busIndex, 'baudRate'];
    const others = link.loaded.config.devices.filter((d) => d.bus === link.bus.id && d.id !== link.device.id).map((d) => d.id);
    const shared = others.length > 0 ? `; every device on ${link.bus.id} (${others.join(', ')}) must use the same speed` : '';
    const converter = link.bus.type === 'rtu-serial' ? '' : ` and the serial side of the converter behind ${link.bus.id}`;
    return { edit: planEdit(link.loaded.file, path, change.after), path, warning: `the bus speed in the config${converter} must become ${change.after} baud${shared}` };
  }
  return null;
}
