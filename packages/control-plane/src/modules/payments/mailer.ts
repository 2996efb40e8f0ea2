import nodemailer from 'nodemailer';
import type { ControlPlaneDeps } from '../../deps.ts';
import { getSmtpConfig, type SmtpConfig } from './payments.settings.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends one e-mail; resolves false when SMTP is not configured. */
export type SendMail = (message: MailMessage) => Promise<boolean>;

function transportOf(c: SmtpConfig) {
  return nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: c.secure,
    ...(c.user ? { auth: { user: c.user, pass: c.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
}

/** Whether the SMTP settings are complete enough to send. */
export function smtpReady(c: SmtpConfig): boolean {
  return c.enabled && Boolean(c.host) && Boolean(c.from);
}

/**
 * A mail sender over the SMTP settings (read on every send, so a settings change applies at once).
 * Throws when the server refuses the message.
 */
export function createMailer(deps: Pick<ControlPlaneDeps, 'db' | 'settingsBox' | 'now'>): SendMail {
  return async (message) => {
    const config = await getSmtpConfig(deps);
    if (!smtpReady(config)) return false;
    const transport = transportOf(config);
    try {
      await transport.sendMail({
        from: config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
      });
    } finally {
      transport.close();
    }
    return true;
  };
}
