// MINEGATE_FAULT_INJECT, the test/commissioning hook (README): what it accepts, and that without it
// no fault capability exists at all.
import { describe, expect, it } from 'vitest';
import { FaultInjectCapability, parseFaultInjection } from '../../edge/fault-inject-capability.js';

describe('MINEGATE_FAULT_INJECT', () => {
  it('takes uncaught or rejection, optionally :<delayMs> or :sigusr2', () => {
    expect(parseFaultInjection('uncaught')).toEqual({ kind: 'uncaught', trigger: 0 });
    expect(parseFaultInjection('rejection:250')).toEqual({ kind: 'rejection', trigger: 250 });
    expect(parseFaultInjection('uncaught:sigusr2')).toEqual({ kind: 'uncaught', trigger: 'sigusr2' });
  });

  it('refuses anything else, naming the value', () => {
    for (const bad of ['crash', 'uncaught:', 'uncaught:-5', 'rejection:soon', 'Uncaught']) {
      expect(() => parseFaultInjection(bad)).toThrow(new RegExp(`MINEGATE_FAULT_INJECT.*${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
  });

  it('is no capability at all unless the variable is set', () => {
    expect(FaultInjectCapability.fromEnv({})).toBeUndefined();
    expect(FaultInjectCapability.fromEnv({ MINEGATE_FAULT_INJECT: '' })).toBeUndefined();
    expect(FaultInjectCapability.fromEnv({ MINEGATE_FAULT_INJECT: 'rejection:10' })?.injection).toEqual({ kind: 'rejection', trigger: 10 });
  });
});
