import type { HttpBindings } from '@hono/node-server';
import type { GroupEntry, Snapshot, TokenEntry, UserEntry } from '@tollgate/shared/snapshot/types.ts';

/** What `authenticate` establishes for the rest of the request. */
export interface AuthContext {
  snapshot: Snapshot;
  token: TokenEntry;
  user: UserEntry;
  /** effective group name (the key's, else the user's) */
  group: string;
  groupEntry: GroupEntry | undefined;
}

export type RelayEnv = {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    startedAt: number;
    auth: AuthContext;
    clientIp: string;
    /** `x-ratelimit-*` headers of the key/group limits, for responses written straight to the socket */
    rateLimitHeaders?: Record<string, string>;
    /** set once the relay endpoint reported the request through `onFinished` (metrics count the rest) */
    finished: boolean;
  };
};
