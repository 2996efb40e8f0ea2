import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSmtpSettings } from '../modules/payments/payments.settings.ts';
import { setSettings } from '../modules/settings/settings.service.ts';
import { adjustBalance } from '../modules/users/users.service.ts';
import { createTestDeps, createUserWithSession, DB_KINDS, type TestDeps } from '../testing/harness.ts';
import { startSmtpSink } from '../testing/smtp-sink.ts';
import { createLowBalanceJob } from './low-balance.ts';

describe.each(DB_KINDS)('low-balance reminder on %s', (kind) => {
  let deps: TestDeps;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;

  beforeAll(async () => {
    smtp = await startSmtpSink({ user: 'mailer', password: 'smtp-pass-123' });
    deps = await createTestDeps({ kind, config: { site_public_url: 'https://gate.example.test' } });
    await setSmtpSettings(deps, {
      enabled: true,
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      user: 'mailer',
      password: 'smtp-pass-123',
      from: 'billing@gate.example.test',
    });
    await setSettings(deps, { low_balance_threshold: 1_000_000 });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
    await smtp?.close();
  });

  const mailsTo = (email: string) => smtp.messages.filter((m) => m.to.includes(email));

  it('sends exactly one e-mail while the balance stays below the threshold, again after a top-up above it', async () => {
    const u = await createUserWithSession(deps, 'user');
    const quiet = await createUserWithSession(deps, 'user');
    await adjustBalance(deps, { userId: u.user.id, amount: 5_000_000, reason: 'start' });
    await adjustBalance(deps, { userId: quiet.user.id, amount: 5_000_000, reason: 'start' });
    const job = createLowBalanceJob(deps);
    await job();
    expect(mailsTo(u.user.email)).toHaveLength(0);
    // many charges below the threshold, the job running between them and concurrently
    for (let i = 0; i < 10; i++) {
      await adjustBalance(deps, { userId: u.user.id, amount: -450_000, reason: `usage ${i}` });
      await Promise.all([job(), job(), createLowBalanceJob(deps)()]);
    }
    const mails = mailsTo(u.user.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.from).toBe('billing@gate.example.test');
    expect(mails[0]!.raw).toMatch(/Subject: Tollgate: your balance is low/);
    expect(mails[0]!.raw).toContain('https://gate.example.test/portal/topup');
    expect(mailsTo(quiet.user.email)).toHaveLength(0);
    expect((await u.caller.payments.balance()).low).toBe(true);
    // topping up to just below the threshold does not re-arm it
    await adjustBalance(deps, { userId: u.user.id, amount: 400_000, reason: 'small top-up' });
    await job();
    await adjustBalance(deps, { userId: u.user.id, amount: -100_000, reason: 'usage' });
    await job();
    expect(mailsTo(u.user.email)).toHaveLength(1);
    // above the threshold: re-armed; the next fall sends one more
    await adjustBalance(deps, { userId: u.user.id, amount: 3_000_000, reason: 'top-up' });
    await job();
    expect((await u.caller.payments.balance()).low).toBe(false);
    await adjustBalance(deps, { userId: u.user.id, amount: -3_500_000, reason: 'usage' });
    for (let i = 0; i < 5; i++) await job();
    expect(mailsTo(u.user.email)).toHaveLength(2);
  });

  it("a user's own threshold wins over the default; 0 turns the reminder off", async () => {
    const own = await createUserWithSession(deps, 'user');
    const off = await createUserWithSession(deps, 'user');
    await own.caller.payments.setThreshold({ threshold: 10 });
    await off.caller.payments.setThreshold({ threshold: 0 });
    await adjustBalance(deps, { userId: own.user.id, amount: 20, reason: 'start' });
    const job = createLowBalanceJob(deps);
    await job();
    expect(mailsTo(own.user.email)).toHaveLength(0);
    expect(mailsTo(off.user.email)).toHaveLength(0);
    await adjustBalance(deps, { userId: own.user.id, amount: -15, reason: 'usage' });
    await job();
    await job();
    expect(mailsTo(own.user.email)).toHaveLength(1);
  });

  it('a refused message is retried on the next run, not lost', async () => {
    const u = await createUserWithSession(deps, 'user');
    let fail = true;
    const sent: string[] = [];
    const job = createLowBalanceJob(deps, {
      send: async (m) => {
        if (fail) throw new Error('smtp down');
        sent.push(m.to);
        return true;
      },
    });
    await job();
    expect(sent).not.toContain(u.user.email);
    fail = false;
    await job();
    await job();
    expect(sent.filter((t) => t === u.user.email)).toHaveLength(1);
  });
});
