import { z } from 'zod';

/** One day in milliseconds: the width of a dashboard bucket. */
export const DAY_MS = 86_400_000;

/** The longest range a dashboard may ask for (a leap year). */
export const MAX_RANGE_DAYS = 366;

/**
 * A dashboard range: `[from, to)` in epoch ms, at most {@link MAX_RANGE_DAYS} days. Days are cut at the
 * viewer's local midnight: `tzOffsetMinutes` is what to add to UTC to get local time
 * (`-new Date().getTimezoneOffset()` in a browser; 0 = UTC days).
 */
export const statsRangeSchema = z
  .object({
    from: z.number().int().min(0),
    to: z.number().int().min(0),
    tzOffsetMinutes: z.number().int().min(-840).max(840).default(0),
  })
  .refine((r) => r.to > r.from, { message: '`to` must be after `from`', path: ['to'] })
  .refine((r) => r.to - r.from <= MAX_RANGE_DAYS * DAY_MS, {
    message: `the range may span at most ${MAX_RANGE_DAYS} days`,
    path: ['from'],
  });

export type StatsRange = z.output<typeof statsRangeSchema>;
export type StatsRangeInput = z.input<typeof statsRangeSchema>;
