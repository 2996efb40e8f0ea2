/** One finished request's money facts, as the relay settles it and the flusher writes it to SQL. */
export interface Settlement {
  requestId: string;
  at: number;
  userId: number;
  tokenId: number;
  /** whether the key has a quota that this request draws on */
  limitedKey: boolean;
  model: string;
  upstreamModel: string | null;
  channelId: number | null;
  triedChannels: number[];
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  /** what the user pays, quota units (0 for failed requests) */
  cost: number;
  /** what the upstream charges us, quota units */
  channelCost: number;
  latencyMs: number;
  ttftMs: number | null;
  stream: boolean;
  status: number;
  errorCode: string | null;
  ip: string | null;
  /** why the numbers are what they are (usage source, tokenizer fallback, abort) */
  note: string | null;
}

export type HoldRefusal = 'insufficient_balance' | 'insufficient_quota';

/** What a hold took, so settlement gives back exactly the rest. */
export interface Hold {
  /** the request the hold is for (a crashed relay's holds are released by request) */
  requestId: string;
  userId: number;
  tokenId: number;
  limitedKey: boolean;
  amount: number;
}

/**
 * The hot balance counters (DESIGN §2): available = balance − open holds − settled-but-unflushed.
 * In-process for the embedded default, Redis (Lua, shared by all relays) in production.
 */
export interface BalanceStore {
  /** Takes `amount` from the user and (if limited) the key, atomically, or refuses. */
  hold(h: Hold): Promise<HoldRefusal | undefined>;
  /** Gives back `hold.amount − s.cost` and queues the settlement for SQL. */
  settle(h: Hold, s: Settlement): Promise<void>;
  /** Re-reads a user's balance (after a top-up) or a key's quota (after an edit) from SQL. */
  refreshUser(userId: number): Promise<void>;
  refreshToken(tokenId: number): Promise<void>;
  /** Writes queued settlements to SQL now (SIGTERM, tests); resolves when written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
