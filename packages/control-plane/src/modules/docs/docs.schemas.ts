import { z } from 'zod';

/** `docs.models` input: the group to list models for (one the caller's keys may use; default: theirs). */
export const docsModelsSchema = z.object({ group: z.string().trim().min(1).max(64).optional() }).default({});
