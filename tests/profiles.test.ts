import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { profilesDir } from '../board-configs/paths.js';
import { loadProfile } from '../board-configs/profiles.js';

describe('shipped device profiles', () => {
  const names = readdirSync(profilesDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''));

  it('ships the simulated device kinds', () => {
    expect(names).toEqual(
      expect.arrayContaining(['methane-sensor', 'co-sensor', 'wind-speed-sensor', 'temperature-sensor', 'feed-sensor', 'fan-run-sensor', 'relay-module']),
    );
  });

  it.each(names)('%s validates against the profile schema', (name) => {
    const profile = loadProfile(name);
    expect(Object.keys(profile.channels).length).toBeGreaterThan(0);
  });
});
