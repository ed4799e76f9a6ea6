// Validation of request arguments: a bad argument is the client's mistake (BAD_REQUEST naming the
// argument and what came), never a gateway failure.
import { ControlError } from './errors.js';

export function stringArg(args: Record<string, unknown>, name: string): string {
  const v = args[name];
  if (typeof v !== 'string' || v.trim() === '') throw new ControlError('BAD_REQUEST', `${name} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v.trim();
}

export function optionalStringArg(args: Record<string, unknown>, name: string): string | undefined {
  return args[name] === undefined || args[name] === null ? undefined : stringArg(args, name);
}

export function intArg(args: Record<string, unknown>, name: string, min: number, max: number, fallback?: number): number {
  const v = args[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ControlError('BAD_REQUEST', `${name} must be an integer ${min}..${max}, got ${JSON.stringify(args[name])}`);
  }
  return v;
}

export function optionalIntArg(args: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  return args[name] === undefined || args[name] === null ? undefined : intArg(args, name, min, max);
}

export function enumArg<T extends string>(args: Record<string, unknown>, name: string, allowed: readonly T[], fallback?: T): T {
  const v = args[name] ?? fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ControlError('BAD_REQUEST', `${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(args[name])}`);
  }
  return v as T;
}
