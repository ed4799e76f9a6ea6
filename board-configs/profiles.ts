// Loads device profiles (register maps as data) by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { profilesDir } from './paths.js';
import { type Profile, ProfileSchema } from './profile-schema.js';

const cache = new Map<string, Profile>();

export class ProfileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** Load board-configs/profiles/<name>.yaml (or from `dir`), validated. Cached per file. */
export function loadProfile(name: string, dir: string = profilesDir()): Profile {
  const file = join(dir, `${name}.yaml`);
  const hit = cache.get(file);
  if (hit) return hit;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ProfileError(`${file}: no such profile "${name}"`, file);
  }
  const parsed = ProfileSchema.safeParse(parse(text));
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ProfileError(`${file}: ${first.path.join('.') || '(root)'}: ${first.message}`, file);
  }
  if (parsed.data.name !== name) {
    throw new ProfileError(`${file}: name: "${parsed.data.name}" does not match the file name "${name}"`, file);
  }
  cache.set(file, parsed.data);
  return parsed.data;
}
