import { type AnyRouter, TRPCError } from '@trpc/server';

/** Who may call a procedure: anyone, any signed-in user, or admins only. */
export type Access = 'public' | 'user' | 'admin';

/** The principals every procedure is tried as. `otherUser` is a signed-in user who owns nothing in the fixture. */
export type Actor = 'anon' | 'otherUser' | 'admin' | 'user';

/**
 * Call order: the callers that must be refused go first, the owner (`user`) last, so a mutating
 * sample input (delete, reset, logout) cannot change what the refused callers see.
 */
export const ACTORS: readonly Actor[] = ['anon', 'otherUser', 'admin', 'user'];

/** The outcome classes the matrix distinguishes. */
export type OutcomeClass = 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'ok-or-validation';

/** What a call did: `ok`, or the tRPC error code, or `thrown:<Name>` for a non-tRPC error (a bug). */
export type Outcome = string;

export interface ProcedureSpec<F> {
  access: Access;
  /** A valid input for the permitted actors; called once per call, so it may mint unique values. */
  input: (fixture: F) => unknown;
  /**
   * The input names an object owned by the `user` actor (a key): every other signed-in actor,
   * admins included, must get NOT_FOUND — another user's object is indistinguishable from none.
   */
  ownedByUser?: boolean;
}

export type ProcedureTable<F> = Record<string, ProcedureSpec<F>>;

/** Every procedure path of a tRPC v11 router (`_def.procedures` is the flattened record, e.g. `tokens.get`). */
export function procedurePaths(router: AnyRouter): string[] {
  return Object.keys(router._def.procedures as Record<string, unknown>).sort();
}

/** Procedures of `router` that the table does not classify: a new procedure must be added to the table. */
export function unclassifiedProcedures(router: AnyRouter, table: ProcedureTable<unknown>): string[] {
  return procedurePaths(router).filter((p) => !Object.hasOwn(table, p));
}

/** Table entries naming no procedure (renamed or removed): the table must not rot. */
export function staleEntries(router: AnyRouter, table: ProcedureTable<unknown>): string[] {
  const paths = new Set(procedurePaths(router));
  return Object.keys(table)
    .filter((p) => !paths.has(p))
    .sort();
}

/** The outcome class `actor` must get from a procedure of `spec` called with the sample input. */
export function expectedClass(
  spec: Pick<ProcedureSpec<unknown>, 'access' | 'ownedByUser'>,
  actor: Actor,
): OutcomeClass {
  if (spec.access === 'public') return 'ok-or-validation';
  if (actor === 'anon') return 'UNAUTHORIZED';
  if (spec.access === 'admin') return actor === 'admin' ? 'ok-or-validation' : 'FORBIDDEN';
  if (spec.ownedByUser && actor !== 'user') return 'NOT_FOUND';
  return 'ok-or-validation';
}

export function classOf(outcome: Outcome): OutcomeClass | Outcome {
  if (outcome === 'ok' || outcome === 'BAD_REQUEST') return 'ok-or-validation';
  return outcome;
}

/** Calls a procedure of a `createCaller` proxy by its dotted path. */
export function callByPath(caller: unknown, path: string, input: unknown): Promise<unknown> {
  const fn = path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], caller);
  if (typeof fn !== 'function') throw new Error(`role-matrix: ${path} is not callable on the caller`);
  return Promise.resolve((fn as (input: unknown) => unknown)(input));
}

/** Runs `fn` and names its outcome. */
export async function outcomeOf(
  fn: () => Promise<unknown>,
): Promise<{ outcome: Outcome; error?: unknown; value?: unknown }> {
  try {
    return { outcome: 'ok', value: await fn() };
  } catch (error) {
    if (error instanceof TRPCError) return { outcome: error.code, error };
    const name = error instanceof Error ? error.name : typeof error;
    return { outcome: `thrown:${name}`, error };
  }
}

export interface MatrixRow {
  actor: Actor;
  /** `sample` = the table's valid input; `garbage` = an input no schema accepts */
  input: 'sample' | 'garbage';
  expected: OutcomeClass | 'ok';
  actual: Outcome;
  /** the error message, for diagnosing a mismatch */
  message?: string;
}

/** An input no object schema accepts (so a refused caller must be refused before validation). */
export const GARBAGE_INPUT = '__role-matrix-garbage__';

/**
 * Runs one procedure as every actor and returns, per call, the expected and the actual outcome.
 *
 * - With the sample input, an actor that is let through must get `ok` (the table's input is valid,
 *   so anything else means the sample is stale or the procedure is broken); refused actors must get
 *   UNAUTHORIZED / FORBIDDEN / NOT_FOUND exactly.
 * - Refused by role (UNAUTHORIZED/FORBIDDEN), an actor is also tried with garbage input and must get
 *   the same refusal: the auth check runs before input validation, so no schema leaks to outsiders.
 */
export async function runRoleMatrix<F>(
  path: string,
  spec: ProcedureSpec<F>,
  world: { fixture: F; callers: Record<Actor, unknown> },
): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const actor of ACTORS) {
    const cls = expectedClass(spec, actor);
    if (cls === 'UNAUTHORIZED' || cls === 'FORBIDDEN') {
      const g = await outcomeOf(() => callByPath(world.callers[actor], path, GARBAGE_INPUT));
      rows.push({ actor, input: 'garbage', expected: cls, actual: g.outcome, message: messageOf(g.error) });
    }
    const r = await outcomeOf(() => callByPath(world.callers[actor], path, spec.input(world.fixture)));
    rows.push({
      actor,
      input: 'sample',
      expected: cls === 'ok-or-validation' ? 'ok' : cls,
      actual: r.outcome,
      message: messageOf(r.error),
    });
  }
  return rows;
}

/** The rows whose outcome differs from the expectation (empty = the procedure passes the matrix). */
export function mismatches(rows: readonly MatrixRow[]): MatrixRow[] {
  return rows.filter((r) => r.actual !== r.expected);
}

function messageOf(error: unknown): string | undefined {
  return error instanceof Error ? error.message : undefined;
}
