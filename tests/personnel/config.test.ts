import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PersonnelSchema } from '../../board-configs/personnel-schema.js';
import { ConfigError, parseConfigText } from '../../edge/config/load-config.js';
import { configChecks as crossChecks } from '../../edge/config/check-registry.js';
import { personnelChecks } from '../../edge/personnel/config-checks.js';
import { PersonnelEngine } from '../../edge/personnel/engine.js';
import { PersonnelConfigError } from '../../edge/personnel/errors.js';
import { configWith, EXAMPLE_FILE, exampleConfig } from './rig.js';

const exampleText = readFileSync(EXAMPLE_FILE, 'utf8');

/** Load the example with one edit as `config check` does (the personnel checks run in the loader). */
function problemsAfter(edit: (text: string) => string): string[] {
  const text = edit(exampleText);
  expect(text, 'the edit must change the example').not.toBe(exampleText);
  try {
    parseConfigText(text, EXAMPLE_FILE);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

function replaceOnce(text: string, from: string, to: string): string {
  expect(text.split(from).length, `"${from}" occurs once`).toBe(2);
  return text.replace(from, to);
}

describe('personnel config', () => {
  it('the personnel checks are part of config check', () => {
    for (const check of personnelChecks) expect(crossChecks).toContain(check);
  });

  it('the shipped example loads and passes every personnel check', () => {
    const config = exampleConfig();
    expect(config.personnel!.roster).toHaveLength(8);
    expect(config.personnel!.stations.map((s) => s.reader)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(problemsAfter((t) => t.replace('ratedUnderground: 120', 'ratedUnderground: 121'))).toEqual([]);
  });

  it('fills the documented defaults', () => {
    const parsed = PersonnelSchema.parse({
      ratedUnderground: 10,
      areas: [{ id: 'a', code: '1402120000010001', name: 'A', type: 'shaft-mouth' }],
      stations: [{ reader: 1, code: '1402120000010001000001', name: 'S', area: 'a' }],
    });
    expect(parsed.alarms).toMatchObject({ overtimeMs: 36_000_000, lostCardMs: 600_000, maxWalkingSpeedMps: 7 });
    expect(parsed.evacuation).toMatchObject({ ackTimeoutMs: 300_000, links: [], operators: [] });
    expect(parsed.roster).toEqual([]);
  });

  it('rejects card codes that are not 17 digits and text that would break an MT/T 1201 file', () => {
    const bad = (edit: (t: string) => string) => {
      try {
        parseConfigText(edit(exampleText), EXAMPLE_FILE);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad((t) => replaceOnce(t, 'card: "14021200000100003"', 'card: "1402120000010003"'))).toEqual([
      expect.stringMatching(/^personnel\.roster\[2\]\.card: expected a 17-digit card code .*got "1402120000010003"/),
    ]);
    expect(bad((t) => replaceOnce(t, 'name: 王强', 'name: "王;强"'))).toEqual([expect.stringMatching(/^personnel\.roster\[2\]\.name: .*must not contain ;/)]);
  });

  it.each([
    ['a duplicate tag', (t: string) => replaceOnce(t, 'tag: 1003,', 'tag: 1002,'), 'personnel.roster[2].tag: duplicate tag 1002 (first used by roster[1], card 14021200000100002)'],
    ['a card of another mine', (t: string) => replaceOnce(t, '"14021200000100006"', '"14021200000200006"'), 'personnel.roster[5].card: card code 14021200000200006 does not start with the mine code 140212000001'],
    ['one person under two names', (t: string) => replaceOnce(t, 'person: E0002, name: 李明, job: 掘进工, team: 掘进一队 }\n  areas', 'person: E0002, name: 李敏, job: 掘进工, team: 掘进一队 }\n  areas'), 'personnel.roster[7].name: person E0002 is "李明" on roster[1] but "李敏" here'],
    ['a station outside its area code', (t: string) => replaceOnce(t, '"1402120000010004000005"', '"1402120000010003000005"'), 'personnel.stations[4].code: station code 1402120000010003000005 does not start with the code 1402120000010004 of its area "heading-face"'],
    ['a station in a missing area', (t: string) => replaceOnce(t, 'area: explosives-store, x: 0', 'area: powder-store, x: 0'), 'personnel.stations[5].area: no area "powder-store" (areas: shaft, shaft-bottom, heading-roadway, heading-face, explosives-store)'],
    ['a pair with an unknown reader', (t: string) => replaceOnce(t, '{ outer: 3, inner: 4,', '{ outer: 3, inner: 9,'), 'personnel.directionPairs[1].inner: no station with reader 9'],
    ['a power output as a siren', (t: string) => replaceOnce(t, 'outputs: [store-siren]', 'outputs: [heading-power]'), 'personnel.evacuation.areas[2].outputs[0]: output "heading-power" is a power output; an evacuation switches only siren, beacon, evacuation outputs'],
    ['a missing escalation output', (t: string) => replaceOnce(t, 'escalationOutputs: [level-siren]', 'escalationOutputs: [shaft-siren]'), 'personnel.evacuation.escalationOutputs[0]: no output "shaft-siren" (outputs: heading-power, fan-power, siren, beacon, heading-siren, heading-beacon, store-siren, level-siren, heartbeat)'],
    ['a link to a missing zone', (t: string) => replaceOnce(t, '{ zone: heading-3101,', '{ zone: heading-3102,'), 'personnel.evacuation.links[0].zone: no zone "heading-3102" (zones: heading-3101, heading-3101-fan-switch)'],
    ['a responsible person not on the roster', (t: string) => replaceOnce(t, 'responsible: "14021200000100005"', 'responsible: "14021200000100099"'), 'personnel.evacuation.areas[2].responsible: card 14021200000100099 is not in the roster'],
  ])('reports %s at its field', (_what, edit, expected) => {
    expect(problemsAfter(edit)).toEqual([expected]);
  });

  it('an automatically evacuated area needs sirens and someone to acknowledge', () => {
    const problems = problemsAfter((t) => replaceOnce(t, '      - { area: heading-roadway, outputs: [heading-siren, heading-beacon], responsible: "14021200000100001" }\n', ''));
    expect(problems).toEqual([
      'personnel.evacuation.links[0].areas[1]: area "heading-roadway" is evacuated by zone "heading-3101" but has no siren/beacon outputs in evacuation.areas',
      'personnel.evacuation.links[0].areas[1]: area "heading-roadway" is evacuated by zone "heading-3101" but has no responsible person to acknowledge (叫应)',
    ]);
  });

  it('without a shaft-mouth station nobody could ever be seen entering or leaving', () => {
    const problems = problemsAfter((t) => replaceOnce(t, 'name: 主井口, type: shaft-mouth', 'name: 主井口, type: other'));
    expect(problems).toContain('personnel.stations: no station is in a shaft-mouth area: entering and leaving the mine could never be detected');
  });

  it('the engine refuses a config the checks reject, and bad options with a TypeError', () => {
    const view = configWith({ evacuation: { escalationOutputs: ['nowhere'] } });
    expect(() => new PersonnelEngine({ config: view })).toThrow(PersonnelConfigError);
    try {
      new PersonnelEngine({ config: view });
    } catch (err) {
      expect((err as PersonnelConfigError).code).toBe('PERSONNEL_CONFIG_INVALID');
      expect((err as PersonnelConfigError).problems.map((p) => p.path.join('.'))).toEqual(['personnel.evacuation.escalationOutputs.0']);
    }
    expect(() => new PersonnelEngine({ config: { ...exampleConfig(), personnel: undefined } })).toThrow(/no personnel section/);
    expect(() => new PersonnelEngine({ config: configWith(), seenPersistMs: -1 })).toThrow(TypeError);
    expect(() => new PersonnelEngine({ config: configWith(), actions: { emit: 'log' as never } })).toThrow(/actions\.emit must be a function/);
  });
});
