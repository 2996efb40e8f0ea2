import { createHmac } from 'node:crypto';
import {
  createNotifier,
  deliver,
  listNotifiers,
  sendTestNotification,
  updateNotifier,
} from '@tollgate/control-plane/modules/alerts/notifications.service.ts';
import type { AlertMessage } from '@tollgate/control-plane/modules/alerts/notifiers.ts';
import { setSettings } from '@tollgate/control-plane/modules/settings/settings.service.ts';
import { createTestDeps, type TestDeps } from '@tollgate/control-plane/testing/harness.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HttpReceiver,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
} from '../harness/receivers.ts';

const fast = { attempts: 3, backoffMs: 20, timeoutMs: 3_000 };

const message: AlertMessage = {
  state: 'fired',
  ruleId: 1,
  ruleName: 'Upstream errors',
  kind: 'error_rate',
  subject: 'overall',
  value: '42%',
  message: '42 of 100 requests failed.',
  at: Date.UTC(2026, 11, 1),
  eventId: 7,
};

describe('notification channels deliver to local receivers', () => {
  let deps: TestDeps;
  let http: HttpReceiver;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    deps = await createTestDeps({ kind: 'sqlite' });
    http = await startHttpReceiver();
    smtp = await startSmtpReceiver();
    // every chat service points at the local receiver
    await setSettings(deps, {
      notify_base_urls: {
        feishu: http.url,
        dingtalk: http.url,
        wecom: http.url,
        telegram: http.url,
        slack: http.url,
      },
    });
  });
  afterAll(async () => {
    await http?.close();
    await smtp?.close();
    await deps?.cleanup();
  });

  const last = () => http.received.at(-1)!;

  it('generic webhook: JSON body signed with X-Tollgate-Signature (hex HMAC-SHA256 of the raw body)', async () => {
    const ch = await createNotifier(deps, {
      name: 'ops hook',
      type: 'webhook',
      config: { url: `${http.url}/hooks/ops?x=1`, secret: 'whsec_test' },
    });
    const r = await deliver(deps, ch.id, message, fast);
    expect(r).toMatchObject({ ok: true, attempts: 1, type: 'webhook', state: 'fired' });
    const got = last();
    expect(got.path).toBe('/hooks/ops');
    expect(got.headers['content-type']).toContain('application/json');
    const expected = createHmac('sha256', 'whsec_test').update(got.raw).digest('hex');
    expect(got.headers['x-tollgate-signature']).toBe(expected);
    expect(got.json).toMatchObject({ state: 'fired', ruleName: 'Upstream errors', value: '42%', eventId: 7 });
  });

  it('a receiver answering 500 gets retries with backoff; the delivery succeeds on the third attempt', async () => {
    const ch = await createNotifier(deps, {
      name: 'flaky',
      type: 'webhook',
      config: { url: `${http.url}/flaky` },
    });
    http.failNext(500, 503);
    const before = http.received.length;
    const r = await deliver(deps, ch.id, message, fast);
    expect(r).toMatchObject({ ok: true, attempts: 3 });
    const tries = http.received.slice(before);
    expect(tries).toHaveLength(3);
    // backoff doubles: ≥ 20 ms, then ≥ 40 ms
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(15);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(35);
  });

  it('a receiver that keeps failing: the failure is recorded after the last attempt; a 4xx is not retried', async () => {
    const ch = await createNotifier(deps, {
      name: 'down',
      type: 'webhook',
      config: { url: `${http.url}/down` },
    });
    http.failNext(500, 500, 500);
    expect(await deliver(deps, ch.id, message, fast)).toMatchObject({
      ok: false,
      attempts: 3,
      error: 'HTTP 500',
    });
    http.failNext(404);
    expect(await deliver(deps, ch.id, message, fast)).toMatchObject({
      ok: false,
      attempts: 1,
      error: 'HTTP 404',
    });
    const gone = await startHttpReceiver();
    await gone.close();
    const closed = await createNotifier(deps, {
      name: 'closed',
      type: 'webhook',
      config: { url: `${gone.url}/x` },
    });
    expect(await deliver(deps, closed.id, message, fast)).toMatchObject({
      ok: false,
      attempts: 3,
      error: 'ECONNREFUSED',
    });
  });

  it('Feishu/Lark bot: text message with timestamp + sign (HMAC-SHA256 keyed "timestamp\\nsecret")', async () => {
    const ch = await createNotifier(deps, {
      name: 'feishu',
      type: 'feishu',
      config: { token: 'hook-token-1', secret: 'fs-secret' },
    });
    expect(await deliver(deps, ch.id, message, fast)).toMatchObject({ ok: true });
    const got = last();
    expect(got.path).toBe('/open-apis/bot/v2/hook/hook-token-1');
    const body = got.json as { timestamp: string; sign: string; msg_type: string; content: { text: string } };
    expect(body.msg_type).toBe('text');
    expect(body.content.text).toContain('ALERT: Upstream errors (overall)');
    const sign = createHmac('sha256', `${body.timestamp}\nfs-secret`).update('').digest('base64');
    expect(body.sign).toBe(sign);
    expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('Feishu answering code ≠ 0 in a 200 is a failed delivery (not retried)', async () => {
    const ch = await createNotifier(deps, { name: 'feishu bad', type: 'feishu', config: { token: 't' } });
    http.okBody = '{"code":19021,"msg":"sign match fail"}';
    try {
      expect(await deliver(deps, ch.id, message, fast)).toMatchObject({ ok: false, attempts: 1 });
    } finally {
      http.okBody = '{"ok":true,"code":0,"errcode":0}';
    }
  });

  it('DingTalk robot: access_token, timestamp and sign in the query (HMAC-SHA256 keyed with the secret)', async () => {
    const ch = await createNotifier(deps, {
      name: 'ding',
      type: 'dingtalk',
      config: { accessToken: 'dt-token', secret: 'SECabc' },
    });
    expect(await deliver(deps, ch.id, message, fast)).toMatchObject({ ok: true });
    const got = last();
    expect(got.path).toBe('/robot/send');
    expect(got.query.get('access_token')).toBe('dt-token');
    const ts = got.query.get('timestamp')!;
    const sign = createHmac('sha256', 'SECabc').update(`${ts}\nSECabc`).digest('base64');
    expect(got.query.get('sign')).toBe(sign);
    expect(got.json).toMatchObject({
      msgtype: 'text',
      text: { content: expect.stringContaining('42 of 100') },
    });
  });

  it('WeCom robot, Telegram bot and Slack incoming webhook use their own formats', async () => {
    const wecom = await createNotifier(deps, { name: 'wecom', type: 'wecom', config: { key: 'wc-key' } });
    expect(await deliver(deps, wecom.id, message, fast)).toMatchObject({ ok: true });
    expect(last().path).toBe('/cgi-bin/webhook/send');
    expect(last().query.get('key')).toBe('wc-key');
    expect(last().json).toMatchObject({ msgtype: 'text', text: { content: expect.any(String) } });

    const tg = await createNotifier(deps, {
      name: 'tg',
      type: 'telegram',
      config: { botToken: '123:ABC', chatId: '-10042' },
    });
    expect(await deliver(deps, tg.id, message, fast)).toMatchObject({ ok: true });
    expect(last().path).toBe('/bot123:ABC/sendMessage');
    expect(last().json).toMatchObject({
      chat_id: '-10042',
      text: expect.stringContaining('Upstream errors'),
    });

    const slack = await createNotifier(deps, { name: 'slack', type: 'slack', config: { path: 'T0/B0/xyz' } });
    expect(await deliver(deps, slack.id, message, fast)).toMatchObject({ ok: true });
    expect(last().path).toBe('/services/T0/B0/xyz');
    expect(last().json).toEqual({ text: expect.stringContaining('Value: 42%') });
  });

  it('SMTP e-mail through nodemailer to a local SMTP server, with login; a 451 is retried', async () => {
    const ch = await createNotifier(deps, {
      name: 'mail',
      type: 'email',
      config: {
        host: '127.0.0.1',
        port: smtp.port,
        user: 'alerts',
        password: 'smtp-pass',
        from: 'alerts@tollgate.test',
        to: ['ops@example.test', 'oncall@example.test'],
      },
    });
    expect(await deliver(deps, ch.id, message, fast)).toMatchObject({ ok: true, attempts: 1 });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toEqual(['ops@example.test', 'oncall@example.test']);
    expect(mail!.user).toBe('alerts');
    expect(mail!.raw).toContain('Subject: [Tollgate] ALERT: Upstream errors (overall)');
    expect(mail!.raw).toContain('42 of 100 requests failed.');
    smtp.failNext(1);
    expect(await deliver(deps, ch.id, message, fast)).toMatchObject({ ok: true, attempts: 2 });
    expect(smtp.messages).toHaveLength(2);
  });

  it('"send test" delivers a test message; secrets are stored encrypted, listed masked, kept on edit', async () => {
    const ch = await createNotifier(deps, {
      name: 'secret hook',
      type: 'webhook',
      config: { url: `${http.url}/very-secret-path-123456`, secret: 'whsec_supersecret' },
    });
    expect(await sendTestNotification(deps, ch.id)).toMatchObject({ ok: true, state: 'test' });
    expect(last().json).toMatchObject({ state: 'test', kind: 'test' });
    const row = await deps.db.db
      .selectFrom('notificationChannels')
      .select('configEncrypted')
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    expect(row.configEncrypted).not.toContain('supersecret');
    expect(row.configEncrypted).not.toContain('very-secret-path');
    const listed = JSON.stringify(await listNotifiers(deps));
    expect(listed).not.toContain('supersecret');
    expect(listed).not.toContain('very-secret-path');
    // an edit that leaves the secrets out (or sends the masks back) keeps them
    const shown = (await listNotifiers(deps)).find((n) => n.id === ch.id)!;
    await updateNotifier(deps, { id: ch.id, name: 'renamed', config: { url: shown.config.url, secret: '' } });
    expect(await sendTestNotification(deps, ch.id)).toMatchObject({ ok: true, name: 'renamed' });
    expect(last().path).toBe('/very-secret-path-123456');
    expect(last().headers['x-tollgate-signature']).toBe(
      createHmac('sha256', 'whsec_supersecret').update(last().raw).digest('hex'),
    );
  });

  it('refuses a config its type does not accept', async () => {
    await expect(
      createNotifier(deps, { name: 'bad', type: 'webhook', config: { url: 'not a url' } }),
    ).rejects.toThrow(/invalid webhook settings: url/);
    await expect(
      createNotifier(deps, { name: 'bad', type: 'email', config: { host: 'h', from: 'x', to: [] } }),
    ).rejects.toThrow(/invalid email settings/);
  });
});
