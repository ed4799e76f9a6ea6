// Loads device profiles (register maps as data) by name. A broken profile is reported like a broken
// board config: every problem with file:line:column and the field path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigIssue, formatIssue, sortIssues } from '../core/config-error.js';
import { validateWithSchema } from '../core/schema-issues.js';
import { readYamlSource } from '../core/yaml-source.js';
import { profilesDir } from './paths.js';
import { type Profile, ProfileSchema } from './profile-schema.js';
import { MinegateError } from '../core/minegate-error.js';

const cache = new Map<string, Profile>();

export type ProfileErrorCode = 'PROFILE_NOT_FOUND' | 'PROFILE_INVALID';

export class ProfileError extends MinegateError<ProfileErrorCode> {
  readonly issues: ConfigIssue[];

  constructor(
    code: ProfileErrorCode,
    file: string,
    issues: readonly ConfigIssue[],
  ) {
    const sorted = sortIssues(issues);
    super(code, sorted.map(formatIssue).join('\n'), { file });
    this.name = 'ProfileError';
    this.issues = sorted;
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
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ProfileError('PROFILE_NOT_FOUND', file, [
      { file, line: 0, column: 0, path: '(file)', message: `no such profile "${name}" (${why})` },
    ]);
  }
  const profile = parseProfileText(text, file, name);
  cache.set(file, profile);
  return profile;
}

/**
 * Validate profile YAML text. `expectedName` (the file's base name) must equal the profile's
 * `name`, so a copied file that was not renamed inside cannot masquerade as another device kind.
 */
export function parseProfileText(text: string, file: string, expectedName?: string): Profile {
  const source = readYamlSource(text, file);
  if (source.issues.length > 0) throw new ProfileError('PROFILE_INVALID', file, source.issues);
  const result = validateWithSchema(ProfileSchema, source);
  if (!result.ok) throw new ProfileError('PROFILE_INVALID', file, result.issues);
  if (expectedName !== undefined && result.value.name !== expectedName) {
    throw new ProfileError('PROFILE_INVALID', file, [
      {
        file,
        ...source.locate(['name']),
        path: 'name',
        message: `"${result.value.name}" does not match the file name "${expectedName}"`,
      },
    ]);
  }
  return result.value;
}
