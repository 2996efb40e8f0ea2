import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../errors.ts';
import { createTestDeps, seedUser, type TestDeps } from '../../testing/harness.ts';
import { updateUser } from './users.service.ts';

describe('the last active admin', () => {
  let deps: TestDeps;
  beforeAll(async () => {
    deps = await createTestDeps({ kind: 'sqlite' });
  });
  afterAll(() => deps.cleanup());

  it('cannot be demoted or disabled, until another admin exists', async () => {
    const only = await seedUser(deps, 'admin');
    for (const change of [{ role: 'user' as const }, { status: 'disabled' as const }]) {
      const err = await updateUser(deps, { userId: only.id, ...change }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceError);
      expect((err as ServiceError).code).toBe('CONFLICT');
    }
    const second = await seedUser(deps, 'admin');
    expect((await updateUser(deps, { userId: only.id, role: 'user' })).role).toBe('user');
    const err = await updateUser(deps, { userId: second.id, status: 'disabled' }).catch((e: unknown) => e);
    expect((err as ServiceError).code).toBe('CONFLICT');
  });
});
