import type { Snapshot } from '@tollgate/shared/snapshot/types.ts';

/** Holds the current snapshot; readers take one reference per request and see one version. */
export interface SnapshotStore {
  current(): Snapshot | undefined;
  replace(next: Snapshot): void;
}

export function createSnapshotStore(initial?: Snapshot): SnapshotStore {
  let snap = initial;
  return {
    current: () => snap,
    replace(next) {
      if (!snap || next.version >= snap.version) snap = next;
    },
  };
}
