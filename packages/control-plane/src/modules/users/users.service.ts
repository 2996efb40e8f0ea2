import { createHash, randomBytes } from 'node:crypto';
import { addToBase } from '@tollgate/shared/balance-keys.ts';
import { type Database, insertedId, isUniqueViolation, num } from '@tollgate/shared/db/index.ts';
import { redisNames } from '@tollgate/shared/redis-names.ts';
import { sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { type Changed, configTx } from '../../snapshot/config-tx.ts';
import { hashPassword } from '../auth/password.ts';
import { getSettings } from '../settings/settings.service.ts';
import { findPublicUser, publicUserColumns } from './users.queries.ts';
import {
  type adjustBalanceSchema,
  type CreateUserInput,
  createUserSchema,
  type listUsersSchema,
  type updateUserSchema,
} from './users.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'> &
  Partial<Pick<ControlPlaneDeps, 'redis' | 'redisNames'>>;

/**
 * `lower(column) LIKE '%text%' ESCAPE '!'`: case-insensitive, with `%`, `_` and `!` in the text taken
 * literally. `!` as the escape character reads the same on MySQL and SQLite (a backslash does not).
 */
export function containsText(column: 'email' | 'displayName', text: string) {
  const pattern = `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '!'`;
}

/** Settings key: quota units credited to every new account (0 = none). */
export const NEW_USER_QUOTA = 'new_user_quota';

/**
 * Creates a user (register, admin, CLI) in the given group or the `default_group` setting, with the
 * welcome credit if one is set. E-mail taken → CONFLICT.
 */
export async function createUser(deps: Deps, input: CreateUserInput) {
  const v = createUserSchema.parse(input);
  const settings = await getSettings(deps);
  const passwordHash = await hashPassword(v.password);
  const now = deps.now();
  try {
    const id = await configTx(deps, async (trx, changed) => {
      const res = await trx
        .insertInto('users')
        .values({
          email: v.email,
          passwordHash,
          displayName: v.displayName ?? v.email.split('@')[0]!,
          role: v.role,
          groupName: v.group ?? settings.default_group,
          createdAt: now,
          updatedAt: now,
        })
        .executeTakeFirstOrThrow();
      const id = insertedId(res);
      changed('user', id);
      return id;
    });
    const credit = settings[NEW_USER_QUOTA];
    if (credit > 0) {
      await adjustBalance(deps, {
        userId: id,
        amount: credit,
        reason: 'welcome credit',
        idempotencyKey: `signup:${id}`,
        kind: 'topup',
      });
    }
    return (await findPublicUser(deps.db.db, id))!;
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ServiceError('CONFLICT', 'an account with this e-mail already exists');
    throw err;
  }
}

export async function listUsers(deps: Deps, input: z.output<typeof listUsersSchema>) {
  const { db } = deps.db;
  let q = db.selectFrom('users');
  if (input.search)
    q = q.where((eb) =>
      eb.or([containsText('email', input.search!), containsText('displayName', input.search!)]),
    );
  const [rows, total] = await Promise.all([
    q
      .select(publicUserColumns)
      .orderBy('id', 'desc')
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize)
      .execute(),
    q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: num(total.n), page: input.page, pageSize: input.pageSize };
}

export async function getUser(deps: Deps, id: number) {
  const user = await findPublicUser(deps.db.db, id);
  if (!user) throw new ServiceError('NOT_FOUND', 'user not found');
  return user;
}

export async function updateUser(deps: Deps, input: z.output<typeof updateUserSchema>) {
  const { userId, ...fields } = input;
  await configTx(deps, async (trx, changed) => {
    if ((fields.role && fields.role !== 'admin') || fields.status === 'disabled') {
      const others = await trx
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'admin')
        .where('status', '=', 'active')
        .where('id', '!=', userId)
        .limit(1)
        .executeTakeFirst();
      const target = await trx
        .selectFrom('users')
        .select(['role', 'status'])
        .where('id', '=', userId)
        .executeTakeFirst();
      if (target?.role === 'admin' && target.status === 'active' && !others) {
        throw new ServiceError('CONFLICT', 'this is the last active admin; promote another admin first');
      }
    }
    const res = await trx
      .updateTable('users')
      .set({
        ...(fields.role ? { role: fields.role } : {}),
        ...(fields.status ? { status: fields.status } : {}),
        ...(fields.group ? { groupName: fields.group } : {}),
        updatedAt: deps.now(),
      })
      .where('id', '=', userId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new ServiceError('NOT_FOUND', 'user not found');
    changed('user', userId);
  });
  return getUser(deps, userId);
}

/** One change of a user's balance, as {@link applyBalanceChange} writes it. */
export interface BalanceChange {
  userId: number;
  /** quota units: positive credits, negative debits */
  amount: number;
  reason: string;
  /** unique per change (DESIGN §2): `ls:order:<id>`, `code:<id>`, `adjust:<random>` … */
  idempotencyKey: string;
  /** ledger/log kind: adjust, topup, refund, code … */
  kind: string;
  actorId?: number | null;
}

/**
 * Writes one balance change inside the caller's transaction: the ledger row (claimed by its unique
 * idempotency key), the log row and the materialised balance. Returns false, writing nothing, when
 * the key was applied before. The caller moves the relays' hot counter after commit
 * ({@link moveHotBalance}).
 */
export async function applyBalanceChange(
  trx: Transaction<Database>,
  changed: Changed,
  change: BalanceChange,
  now: number,
): Promise<boolean> {
  try {
    await trx
      .insertInto('ledger')
      .values({
        userId: change.userId,
        kind: change.kind,
        amount: change.amount,
        idempotencyKey: change.idempotencyKey,
        note: change.reason,
        actorId: change.actorId ?? null,
        createdAt: now,
      })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
  await trx
    .insertInto('logs')
    .values({
      // unique per idempotency key whatever its length
      requestId: `ledger:${createHash('sha256').update(change.idempotencyKey).digest('hex').slice(0, 56)}`,
      createdAt: now,
      kind: change.kind,
      userId: change.userId,
      // logs carry charges: a credit is a negative charge, so Σ(-cost) explains the balance
      cost: -change.amount,
      note: change.reason,
    })
    .execute();
  await trx
    .updateTable('users')
    .set((eb) => ({ balance: eb('balance', '+', change.amount), updatedAt: now }))
    .where('id', '=', change.userId)
    .execute();
  changed('user', change.userId);
  return true;
}

/** After a committed balance change: the relays' hot counter moves by the same delta (Redis mode). */
export async function moveHotBalance(deps: Deps, userId: number, amount: number): Promise<void> {
  await addToBase(deps.redis, (deps.redisNames ?? redisNames()).userBalance(userId), amount);
}

/**
 * Credits (or debits) a user's balance: one ledger row, one log row and the materialised balance in
 * one transaction. Retrying with the same idempotency key changes nothing.
 */
export async function adjustBalance(
  deps: Deps,
  input: z.output<typeof adjustBalanceSchema> & { actorId?: number; kind?: 'adjust' | 'topup' },
) {
  const key = input.idempotencyKey ?? `adjust:${randomBytes(12).toString('hex')}`;
  const now = deps.now();
  const applied = await configTx(deps, async (trx, changed) => {
    const user = await trx.selectFrom('users').select('id').where('id', '=', input.userId).executeTakeFirst();
    if (!user) throw new ServiceError('NOT_FOUND', 'user not found');
    return applyBalanceChange(
      trx,
      changed,
      {
        userId: input.userId,
        amount: input.amount,
        reason: input.reason,
        idempotencyKey: key,
        kind: input.kind ?? 'adjust',
        actorId: input.actorId ?? null,
      },
      now,
    );
  });
  // the relays' hot counter moves by the same delta (Redis); embedded relays re-read on the change
  if (applied) await moveHotBalance(deps, input.userId, input.amount);
  return { applied, user: await getUser(deps, input.userId) };
}

/** A readable random password for generated admin accounts. */
export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * On first start with no admin: create one from TOLLGATE_ADMIN_EMAIL/PASSWORD, or with a generated
 * password that the caller prints once. Returns undefined when an admin exists.
 */
export async function ensureFirstAdmin(
  deps: Deps,
  opts: { email?: string; password?: string },
): Promise<{ email: string; password: string; generated: boolean } | undefined> {
  const existing = await deps.db.db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .limit(1)
    .executeTakeFirst();
  if (existing) return undefined;
  const email = opts.email ?? 'admin@tollgate.local';
  const password = opts.password ?? generatePassword();
  await createUser(deps, { email, password, role: 'admin', displayName: 'Administrator' });
  return { email, password, generated: !opts.password };
}
