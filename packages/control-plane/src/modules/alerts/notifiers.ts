import { createHmac } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { fetchErrorCode } from '../health/channel-tester.ts';
import type { Settings } from '../settings/settings.schemas.ts';
import type { NotifierConfig, NotifierType } from './alerts.schemas.ts';

/** What every notification carries, whatever the channel. */
export interface AlertMessage {
  /** fired: new alert; repeat: still holds after the cooldown; resolved: cleared; test: "send test" */
  state: 'fired' | 'repeat' | 'resolved' | 'test';
  ruleId: number | null;
  ruleName: string;
  kind: string;
  subject: string;
  value: string | null;
  message: string;
  /** epoch ms */
  at: number;
  eventId: number | null;
}

export type BaseUrls = Settings['notify_base_urls'];

/** A delivery attempt failed: `retry` false when trying again cannot help (a 4xx, a bad config). */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  readonly retry: boolean;
  constructor(message: string, retry: boolean) {
    super(message);
    this.retry = retry;
  }
}

const label: Record<AlertMessage['state'], string> = {
  fired: 'ALERT',
  repeat: 'STILL FIRING',
  resolved: 'RESOLVED',
  test: 'TEST',
};

/** One plain-text rendering for the chat bots and e-mail. */
export function renderText(m: AlertMessage, siteName = 'Tollgate'): { title: string; text: string } {
  const title = `[${siteName}] ${label[m.state]}: ${m.ruleName}${m.subject ? ` (${m.subject})` : ''}`;
  const lines = [title, m.message];
  if (m.value !== null) lines.push(`Value: ${m.value}`);
  lines.push(`Time: ${new Date(m.at).toISOString()}`);
  return { title, text: lines.join('\n') };
}

/** Hex HMAC-SHA256 of the raw body: the `X-Tollgate-Signature` of generic webhooks. */
export function webhookSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Feishu/Lark: base64 HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message. */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** DingTalk: base64 HMAC-SHA256 keyed with the secret over "timestamp\nsecret" (ms timestamp). */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** checks a 2xx answer's body (the chat APIs answer 200 with an error code) */
  check?: (text: string) => string | undefined;
}

const trim = (u: string) => u.replace(/\/+$/, '');
const json = (v: unknown) => JSON.stringify(v);
const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' };

function codeCheck(field: string, okValue: number | boolean = 0) {
  return (text: string) => {
    try {
      const v = (JSON.parse(text) as Record<string, unknown>)[field];
      return v === undefined || v === okValue ? undefined : `${field} ${String(v)}`;
    } catch {
      return undefined;
    }
  };
}

/** The HTTP request of each chat/webhook channel type (email is sent by SMTP instead). */
export function buildRequest(
  type: Exclude<NotifierType, 'email'>,
  config: NotifierConfig,
  m: AlertMessage,
  base: BaseUrls,
  now: number,
  siteName?: string,
): HttpRequest {
  const { title, text } = renderText(m, siteName);
  switch (type) {
    case 'webhook': {
      const c = config as NotifierConfig<'webhook'>;
      const body = json({ ...m, title, text });
      const headers: Record<string, string> = { ...jsonHeaders, 'user-agent': 'Tollgate-Alerts' };
      if (c.secret) headers['x-tollgate-signature'] = webhookSignature(c.secret, body);
      return { url: c.url, headers, body };
    }
    case 'feishu': {
      const c = config as NotifierConfig<'feishu'>;
      const ts = Math.floor(now / 1000);
      const payload: Record<string, unknown> = { msg_type: 'text', content: { text } };
      if (c.secret) Object.assign(payload, { timestamp: String(ts), sign: feishuSign(c.secret, ts) });
      return {
        url: `${trim(base.feishu)}/open-apis/bot/v2/hook/${encodeURIComponent(c.token)}`,
        headers: jsonHeaders,
        body: json(payload),
        check: codeCheck('code'),
      };
    }
    case 'dingtalk': {
      const c = config as NotifierConfig<'dingtalk'>;
      const q = new URLSearchParams({ access_token: c.accessToken });
      if (c.secret) {
        q.set('timestamp', String(now));
        q.set('sign', dingtalkSign(c.secret, now));
      }
      return {
        url: `${trim(base.dingtalk)}/robot/send?${q}`,
        headers: jsonHeaders,
        body: json({ msgtype: 'text', text: { content: text } }),
        check: codeCheck('errcode'),
      };
    }
    case 'wecom': {
      const c = config as NotifierConfig<'wecom'>;
      return {
        url: `${trim(base.wecom)}/cgi-bin/webhook/send?key=${encodeURIComponent(c.key)}`,
        headers: jsonHeaders,
        body: json({ msgtype: 'text', text: { content: text } }),
        check: codeCheck('errcode'),
      };
    }
    case 'telegram': {
      const c = config as NotifierConfig<'telegram'>;
      return {
        url: `${trim(base.telegram)}/bot${c.botToken}/sendMessage`,
        headers: jsonHeaders,
        body: json({ chat_id: c.chatId, text, disable_web_page_preview: true }),
        check: codeCheck('ok', true),
      };
    }
    case 'slack': {
      const c = config as NotifierConfig<'slack'>;
      return {
        url: `${trim(base.slack)}/services/${c.path.replace(/^\/+/, '')}`,
        headers: jsonHeaders,
        body: json({ text }),
      };
    }
  }
}

/** One delivery attempt over HTTP; throws {@link DeliveryError}. */
export async function sendHttp(req: HttpRequest, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    throw new DeliveryError(
      e.name === 'TimeoutError' ? 'timed out' : (fetchErrorCode(e) ?? 'connection failed'),
      true,
    );
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new DeliveryError(`HTTP ${res.status}`, res.status >= 500 || res.status === 429);
  const bad = req.check?.(text);
  if (bad) throw new DeliveryError(`the service refused the message: ${bad}`, false);
}

/** One e-mail by SMTP (nodemailer); throws {@link DeliveryError}. */
export async function sendEmail(
  c: NotifierConfig<'email'>,
  m: AlertMessage,
  timeoutMs: number,
  siteName?: string,
) {
  const { title, text } = renderText(m, siteName);
  const transport = createTransport({
    host: c.host,
    port: c.port,
    secure: c.secure,
    auth: c.user ? { user: c.user, pass: c.password ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({ from: c.from, to: c.to, subject: title, text });
  } catch (err) {
    const e = err as Error & { responseCode?: number; code?: string };
    const permanent = e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode < 600;
    throw new DeliveryError(
      e.responseCode ? `SMTP ${e.responseCode}` : (e.code ?? 'SMTP delivery failed'),
      !permanent && e.code !== 'EAUTH',
    );
  } finally {
    transport.close();
  }
}
