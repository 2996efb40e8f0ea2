import { getLocale, type MessageKey, t } from '~/i18n/index.ts';

/*
 * The control plane answers in English ("wrong e-mail or password"). For the other languages the
 * messages a user meets most are looked up here; anything else is shown as the server wrote it (still
 * readable, and the operator-facing ones are technical anyway).
 */

type Rule = [pattern: RegExp, key: MessageKey, params?: (m: RegExpMatchArray) => Record<string, string>];

const RULES: Rule[] = [
  [/^wrong e-mail or password$/, 'serverError.wrongCredentials'],
  [/^wrong or already used two-factor code$/, 'serverError.wrongTotp'],
  [/^this account is disabled$/, 'serverError.accountDisabled'],
  [/^registration is closed on this site$/, 'serverError.registrationClosed'],
  [/^an account with this e-mail already exists$/, 'serverError.emailTaken'],
  [/^please sign in$/, 'serverError.signIn'],
  [/^admins only$/, 'serverError.adminsOnly'],
  [/^too many attempts; try again in (\d+) s$/, 'serverError.tooManyAttempts', (m) => ({ s: m[1]! })],
  [/^too many wrong codes; try again in (\d+) s$/, 'serverError.tooManyCodes', (m) => ({ s: m[1]! })],
  [/^the current password is not right$/, 'serverError.wrongPassword'],
  [/^you already have a key with this name$/, 'serverError.keyNameTaken'],
  [/^you may not use the group "(.+)"$/, 'serverError.groupNotAllowed', (m) => ({ group: m[1]! })],
  [/^your keys may not use the group "(.+)"$/, 'serverError.groupNotAllowed', (m) => ({ group: m[1]! })],
  [/^that code is not right; check the time on your device$/, 'serverError.totpWrongTime'],
  [/^that code is not right or was already used$/, 'serverError.codeUsed'],
  [/^enter a current code from the authenticator you use now$/, 'serverError.totpCurrentCode'],
  [/^start the two-factor setup first$/, 'serverError.totpSetupFirst'],
  [/^the setup changed meanwhile; start it again$/, 'serverError.totpSetupChanged'],
  [/^two-factor sign-in is not on$/, 'serverError.totpNotOn'],
  [/^online top-up is not available on this site$/, 'serverError.topupUnavailable'],
  [/^the payment provider did not answer; try again shortly$/, 'serverError.paymentProviderDown'],
  [/^amountCents: choose one of the offered amounts$/, 'serverError.chooseOfferedAmount'],
  [/^this is the last active admin; promote another admin first$/, 'serverError.lastAdmin'],
  [
    /^(key|user|top-up|session|channel|group|price|log entry|alert rule|notification channel|account) not found$/,
    'serverError.notFound',
  ],
];

/** The server's message in the page's language when it is a known one, else unchanged. */
export function localizeServerMessage(message: string): string {
  if (getLocale() === 'en') return message;
  for (const [pattern, key, params] of RULES) {
    const m = message.match(pattern);
    if (m) return t(key, params?.(m));
  }
  return message;
}
