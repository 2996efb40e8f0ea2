/** Settings key: JSON string[] of groups any user may pick for a key, besides their own group. */
export const USER_SELECTABLE_GROUPS = 'user_selectable_groups';

/**
 * Whether a key may use `keyGroup` (null = the owner's group): its owner's own group, or one the
 * operator made selectable for everyone. Checked when a key is saved and again on every request, so
 * revoking a group stops the keys that use it.
 */
export function mayUseGroup(
  keyGroup: string | null,
  userGroup: string,
  settings: Record<string, unknown>,
): boolean {
  if (keyGroup === null || keyGroup === userGroup) return true;
  const selectable = settings[USER_SELECTABLE_GROUPS];
  return Array.isArray(selectable) && selectable.includes(keyGroup);
}
