import { matchPattern } from '@tollgate/shared/model-match.ts';
import { costOf, costSide, PPM, sellSide } from '@tollgate/shared/pricing.ts';
import type { PriceEntry } from '@tollgate/shared/snapshot/types.ts';
import type { AuthContext } from '../env.ts';
import { RelayError } from '../errors.ts';
import type { Usage } from '../proxy/usage-tap.ts';
import { estimatePromptTokens, requestedMaxTokens } from './tokenizer.ts';
import type { BalanceStore, Hold, Settlement } from './types.ts';

/** Settings key: let models without a price through, free of charge. */
export const ALLOW_FREE_MODELS = 'allow_free_models';

export interface MeterOptions {
  balances: BalanceStore;
  /** completion tokens held when the request sets no max_tokens */
  defaultCompletionHold: number;
  onSettleError?: (err: unknown) => void;
}

/** What the handler reports when the request is over. */
export interface MeterOutcome {
  requestId: string;
  ok: boolean;
  status: number;
  errorCode: string | undefined;
  usage: Usage | undefined;
  /** completion tokens counted from the streamed text, for upstreams that sent no usage */
  countedCompletionTokens: number | undefined;
  clientAborted: boolean;
  stream: boolean;
  model: string;
  upstreamModel: string | undefined;
  channelId: number | undefined;
  channelCostPpm: number | undefined;
  triedChannels: number[];
  latencyMs: number;
  ttftMs: number | undefined;
  ip: string | undefined;
}

/** A hold in place for one request; `settle` exactly once. */
export interface MeterTicket {
  hold: Hold;
  /** completion tokens the hold covers so far */
  coveredCompletionTokens(): number;
  /**
   * Holds the price of `tokens` more completion tokens for a stream that outgrows its hold (DESIGN §2:
   * a stream is cut when the user cannot cover it). False when the balance or quota is short.
   */
  extend(tokens: number): Promise<boolean>;
  promptEstimate: number;
  settle(o: MeterOutcome): Promise<Settlement>;
}

/**
 * Pre-consume and post-consume (SPEC §5): before the upstream call, hold the price of the prompt
 * (tokenizer) plus `max_tokens` (or a default) against the key and the user, atomically, or refuse;
 * after it, settle to the exact cost — 0 for failed requests — and release the rest.
 */
export function createMeter(o: MeterOptions) {
  function priceOf(auth: AuthContext, model: string): PriceEntry | undefined {
    const price = matchPattern(auth.snapshot.config.prices, model);
    if (price) return price;
    if (auth.snapshot.config.settings[ALLOW_FREE_MODELS] === true) return undefined;
    throw new RelayError('model_price_not_set', { param: 'model' });
  }

  return {
    async begin(
      requestId: string,
      auth: AuthContext,
      endpoint: string,
      model: string,
      body: Record<string, unknown> | undefined,
    ): Promise<MeterTicket> {
      const price = priceOf(auth, model);
      const multiplier = auth.groupEntry?.multiplierPpm ?? PPM;
      const promptEstimate = body ? estimatePromptTokens(endpoint, body) : 0;
      const completionEstimate = (body && requestedMaxTokens(body)) ?? o.defaultCompletionHold;
      const amount = price
        ? costOf(
            sellSide(price),
            { promptTokens: promptEstimate, cachedTokens: 0, completionTokens: completionEstimate },
            multiplier,
          )
        : 0;
      const hold: Hold = {
        requestId,
        userId: auth.user.id,
        tokenId: auth.token.id,
        limitedKey: !auth.token.unlimitedQuota,
        amount,
      };
      const refused = await o.balances.hold(hold);
      if (refused) throw new RelayError(refused);
      let settled: Promise<Settlement> | undefined;
      let covered = completionEstimate;
      return {
        hold,
        promptEstimate,
        coveredCompletionTokens: () => covered,
        async extend(tokens) {
          if (!price || settled) return true;
          const extra = costOf(
            sellSide(price),
            { promptTokens: 0, cachedTokens: 0, completionTokens: tokens },
            multiplier,
          );
          if (extra > 0 && (await o.balances.hold({ ...hold, amount: extra }))) return false;
          hold.amount += extra;
          covered += tokens;
          return true;
        },
        settle(out) {
          settled ??= (async () => {
            const fromUpstream = out.usage !== undefined;
            // failed requests cost nothing; a client that aborts a stream pays for what was produced
            // …and so does a stream cut because the user could not cover more
            const produced =
              out.ok ||
              (out.stream &&
                (out.clientAborted ||
                  out.errorCode === 'insufficient_balance' ||
                  out.errorCode === 'insufficient_quota'));
            const tokens = {
              promptTokens: out.usage?.promptTokens ?? (produced ? promptEstimate : 0),
              cachedTokens: out.usage?.cachedTokens ?? 0,
              completionTokens:
                out.usage?.completionTokens ?? (produced ? (out.countedCompletionTokens ?? 0) : 0),
            };
            const billable = produced && price !== undefined;
            const cost = billable ? costOf(sellSide(price), tokens, multiplier) : 0;
            const channelCost = billable ? costOf(costSide(price), tokens, out.channelCostPpm ?? PPM) : 0;
            const notes: string[] = [];
            if (produced && !fromUpstream) notes.push('usage counted by the relay (tokenizer)');
            if (out.clientAborted) notes.push('client aborted');
            if (!price) notes.push('free model');
            const s: Settlement = {
              requestId: out.requestId,
              at: Date.now(),
              userId: hold.userId,
              tokenId: hold.tokenId,
              limitedKey: hold.limitedKey,
              model: out.model,
              upstreamModel: out.upstreamModel ?? null,
              channelId: out.channelId ?? null,
              triedChannels: out.triedChannels,
              ...tokens,
              cost,
              channelCost,
              latencyMs: out.latencyMs,
              ttftMs: out.ttftMs ?? null,
              stream: out.stream,
              status: out.status,
              errorCode: out.errorCode ?? null,
              ip: out.ip ?? null,
              note: notes.length ? notes.join('; ') : null,
            };
            await o.balances.settle(hold, s);
            return s;
          })();
          settled.catch((err: unknown) => o.onSettleError?.(err));
          return settled;
        },
      };
    },
  };
}

export type Meter = ReturnType<typeof createMeter>;
