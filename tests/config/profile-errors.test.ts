// Broken device profiles are reported like broken configs: every issue with file:line and path.
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile, parseProfileText, ProfileError } from '../../board-configs/profiles.js';
import { tempTree } from './fixtures.js';

function profileError(fn: () => unknown): ProfileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProfileError) return err;
    throw err;
  }
  throw new Error('expected a ProfileError');
}

const good = `name: test-gas
description: test
kind: sensor
channels:
  value: { table: input, address: 0, scale: 0.01, unit: "%CH4" }
`;

describe('profile errors', () => {
  let tree: ReturnType<typeof tempTree> | undefined;
  afterEach(() => {
    tree?.cleanup();
    tree = undefined;
  });

  it('parses a valid profile and fills channel defaults', () => {
    const profile = parseProfileText(good, 'test-gas.yaml', 'test-gas');
    expect(profile.channels.value).toMatchObject({ type: 'uint16', offset: 0, writable: false, wordOrder: 'high-first' });
  });

  it('reports every schema issue with line and path', () => {
    const text = good.replace('kind: sensor', 'kind: sensr').replace('address: 0,', 'address: -1, writeable: true,');
    const err = profileError(() => parseProfileText(text, '/p/test-gas.yaml'));
    expect(err.code).toBe('PROFILE_INVALID');
    expect(err.issues.map((i) => [i.line, i.path])).toEqual([
      [3, 'kind'],
      [5, 'channels.value.address'],
      [5, 'channels.value.writeable'],
    ]);
    expect(err.issues[2]!.message).toBe('unknown key "writeable"; did you mean "writable"?');
    expect(err.message.split('\n')[0]).toMatch(/^\/p\/test-gas\.yaml:3:7 kind: /);
  });

  it('refuses a profile whose name differs from its file name, at the name line', () => {
    const err = profileError(() => parseProfileText(good, '/p/other.yaml', 'other'));
    expect(err.issues).toEqual([{ file: '/p/other.yaml', line: 1, column: 7, path: 'name', message: '"test-gas" does not match the file name "other"' }]);
  });

  it('reports a duplicate key in a profile', () => {
    const err = profileError(() => parseProfileText(`${good}kind: relay-module\n`, '/p/test-gas.yaml'));
    expect(err.issues).toEqual([expect.objectContaining({ line: 6, path: 'kind', message: expect.stringMatching(/duplicate key "kind"/) })]);
  });

  it('says PROFILE_NOT_FOUND for a missing file', () => {
    tree = tempTree({});
    const err = profileError(() => loadProfile('nope', tree!.dir));
    expect(err.code).toBe('PROFILE_NOT_FOUND');
    expect(err.issues[0]!.message).toMatch(/no such profile "nope"/);
  });

  it('loads a profile file from a folder', () => {
    tree = tempTree({ 'test-gas.yaml': good });
    expect(loadProfile('test-gas', tree.dir).kind).toBe('sensor');
  });
});
