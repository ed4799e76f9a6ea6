// Loads the threshold presets (board-configs/presets/*.yaml), validated, into one library that
// answers "which preset row applies to this sensor type and role".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { boardConfigsDir } from '../paths.js';
import { type Preset, type PresetRow, PresetSchema } from './preset-schema.js';
import { MinegateError } from '../../core/minegate-error.js';

export class PresetError extends MinegateError<'PRESET_INVALID'> {
  constructor(
    message: string,
    file: string,
  ) {
    super('PRESET_INVALID', message, { file });
    this.name = 'PresetError';
  }
}

export function presetsDir(): string {
  return join(boardConfigsDir(), 'presets');
}

export interface PresetMatch {
  preset: Preset;
  row: PresetRow;
  role: string;
}

/** All presets of one folder, indexed by sensor type. */
export class PresetLibrary {
  private readonly bySensorType = new Map<string, Preset>();

  constructor(readonly presets: readonly Preset[]) {
    for (const preset of presets) {
      for (const type of preset.sensorTypes) {
        const other = this.bySensorType.get(type);
        if (other) throw new PresetError(`sensor type ${type} is claimed by presets "${other.name}" and "${preset.name}"`, preset.name);
        this.bySensorType.set(type, preset);
      }
    }
  }

  /** The preset that governs a sensor type, if any. */
  forSensorType(sensorType: string): Preset | undefined {
    return this.bySensorType.get(sensorType);
  }

  byName(name: string): Preset | undefined {
    return this.presets.find((p) => p.name === name);
  }

  /** The row for a sensor type and role; undefined when either is unknown. */
  row(sensorType: string, role: string): PresetMatch | undefined {
    const preset = this.forSensorType(sensorType);
    const row = preset?.roles[role];
    return preset && row ? { preset, row, role } : undefined;
  }
}

/** Parse and validate one preset file. */
export function loadPresetFile(file: string): Preset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PresetError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file);
  }
  const parsed = PresetSchema.safeParse(parse(text));
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new PresetError(`${file}: ${first.path.join('.') || '(root)'}: ${first.message}`, file);
  }
  const expected = file.replace(/^.*[\\/]/, '').replace(/\.yaml$/, '');
  if (parsed.data.name !== expected) throw new PresetError(`${file}: name "${parsed.data.name}" does not match the file name "${expected}"`, file);
  return parsed.data;
}

const cache = new Map<string, PresetLibrary>();

/** Every *.yaml preset of `dir` (default: the shipped presets). Cached per folder. */
export function loadPresets(dir: string = presetsDir()): PresetLibrary {
  const hit = cache.get(dir);
  if (hit) return hit;
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  } catch (err) {
    throw new PresetError(`${dir}: cannot list presets (${(err as NodeJS.ErrnoException).code ?? String(err)})`, dir);
  }
  const library = new PresetLibrary(names.map((n) => loadPresetFile(join(dir, n))));
  cache.set(dir, library);
  return library;
}
