// The dashboard's own checks, before anything reaches the control socket: an action names a known
// command and carries a reason; a session ends after its idle time; the CSRF token must match.
import { describe, expect, it } from 'vitest';
import { ActionRefused, controlRequestOf } from '../../edge/dashboard/actions.js';
import { csrfMatches, SessionStore, sessionCookie } from '../../edge/dashboard/sessions.js';

describe('dashboard action requests', () => {
  it('maps an action onto the CLI command with its reason and target, refusing one without a reason', () => {
    expect(controlRequestOf({ action: 'ack', reason: '  siren off, checking T1 ' })).toEqual({ command: 'ack', args: { reason: 'siren off, checking T1' } });
    expect(controlRequestOf({ action: 'evacuate.ack', target: 'heading-face', reason: 'called by phone' })).toEqual({ command: 'evacuate.ack', args: { area: 'heading-face', reason: 'called by phone' } });
    const refused = (body: unknown) => {
      try {
        controlRequestOf(body);
      } catch (err) {
        return err as ActionRefused;
      }
      throw new Error('not refused');
    };
    expect(refused({ action: 'ack' }).code).toBe('REASON_REQUIRED');
    expect(refused({ action: 'ack', reason: 'ok' }).code).toBe('REASON_REQUIRED');
    expect(refused({ action: 'write', reason: 'set the coil' }).code).toBe('UNKNOWN_ACTION');
    expect(refused({ action: 'toString', reason: 'prototype' }).code).toBe('UNKNOWN_ACTION');
    expect(refused({ action: 'relay.test', reason: 'monthly test' }).status).toBe(400);
  });
});

describe('dashboard sessions', () => {
  it('finds a session by its HttpOnly SameSite=Strict cookie until it has been idle too long', () => {
    let now = 0;
    const store = new SessionStore(() => now, 1_000);
    const s = store.create('zhang', 'technician', 'pw');
    const cookie = sessionCookie(s);
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    const header = `other=1; ${cookie.split(';')[0]}`;
    now = 900;
    expect(store.fromCookie(header)?.user).toBe('zhang');
    now = 1_800; // 900 ms after the last use: still alive
    expect(store.fromCookie(header)?.user).toBe('zhang');
    now = 2_900;
    expect(store.fromCookie(header)).toBeUndefined();
    expect(store.fromCookie(undefined)).toBeUndefined();
  });

  it('accepts only the session own CSRF token', () => {
    const store = new SessionStore();
    const a = store.create('zhang', 'technician', 'pw');
    const b = store.create('chief', 'safety-officer', 'pw2');
    expect(csrfMatches(a, a.csrf)).toBe(true);
    expect(csrfMatches(a, b.csrf)).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
    expect(csrfMatches(a, [a.csrf])).toBe(false);
  });
});
