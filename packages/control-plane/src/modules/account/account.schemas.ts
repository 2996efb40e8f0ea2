import { z } from 'zod';

/*
 * Inputs of the account procedures. Browser-safe (zod only): the portal's account page validates
 * with these same schemas before it calls the server.
 */

/** The languages the site speaks; a user's choice is stored in `users.locale`. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'enter a display name')
  .max(100, 'at most 100 characters')
  .refine((v) => !/\p{Cc}/u.test(v), 'no control characters');

export const updateProfileSchema = z.object({ displayName: displayNameSchema });
export type UpdateProfileInput = z.input<typeof updateProfileSchema>;

export const setLocaleSchema = z.object({ locale: z.enum(LOCALES) });
