// Operator roles, least to most trusted. A role includes everything the roles below it may do:
// a safety officer can do all a technician can, a technician all a viewer can.

export const ROLES = ['viewer', 'technician', 'safety-officer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `have` is `need` or a more trusted role. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
