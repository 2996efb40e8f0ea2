import { createSignal, Match, Show, Switch } from 'solid-js';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { copyText } from '~/lib/clipboard.ts';
import { formatDate } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import './two-factor.css';

/** A 6-digit code as typed: digits only, at most six (a space in "123 456" is dropped). */
const digits = (v: string) => v.replace(/\D/g, '').slice(0, 6);
const isCode = (v: string) => /^\d{6}$/.test(v);

/** The otpauth:// URI as an SVG QR code (data URL); the library loads only when a setup starts. */
async function qrDataUrl(uri: string): Promise<string> {
  const qrcode = await import('qrcode');
  const svg = await qrcode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/**
 * Two-factor sign-in (TOTP) for the signed-in user: set up with a QR code (or the secret typed in),
 * confirm with a code, turn off with a code, or move to a new authenticator. Self-contained (its own
 * data and messages), so any account page can embed it.
 */
export function TwoFactorSettings() {
  const flash = createFlash();
  const hydrated = useHydrated();
  const status = createLoader(() => trpc.auth.totpStatus.query());
  const [setup, setSetup] = createSignal<{ secret: string; uri: string; qr?: string }>();
  const [code, setCode] = createSignal('');
  const [currentCode, setCurrentCode] = createSignal('');
  const [offCode, setOffCode] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [copied, setCopied] = createSignal(false);
  const enabled = () => status.data()?.enabled === true;

  async function run(fn: () => Promise<void>) {
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const start = () =>
    run(async () => {
      const s = await trpc.auth.totpSetup.mutate();
      setCode('');
      setCurrentCode('');
      setSetup(s);
      flash.clear();
      const qr = await qrDataUrl(s.uri).catch(() => undefined);
      if (setup()?.secret === s.secret) setSetup({ ...s, qr });
    });

  const confirm = (e: SubmitEvent) => {
    e.preventDefault();
    if (!isCode(code()) || (enabled() && !isCode(currentCode())))
      return flash.showError(t('twoFactor.codeInvalid'));
    return run(async () => {
      await trpc.auth.totpEnable.mutate({
        code: code(),
        ...(enabled() ? { currentCode: currentCode() } : {}),
      });
      setSetup(undefined);
      flash.showSuccess(t('twoFactor.enabled'));
      await status.reload();
    });
  };

  const turnOff = (e: SubmitEvent) => {
    e.preventDefault();
    if (!isCode(offCode())) return flash.showError(t('twoFactor.codeInvalid'));
    return run(async () => {
      await trpc.auth.totpDisable.mutate({ code: offCode() });
      setOffCode('');
      flash.showSuccess(t('twoFactor.disabled'));
      await status.reload();
    });
  };

  async function copySecret(secret: string) {
    try {
      await copyText(secret);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      flash.showError(t('twoFactor.copyFailed'));
    }
  }

  return (
    <section class="card two-factor" data-testid="two-factor">
      <div class="two-factor-head">
        <h2>{t('twoFactor.title')}</h2>
        <Show when={status.data()}>
          {(s) => (
            <span class={s().enabled ? 'badge badge-ok' : 'badge badge-off'} data-testid="totp-state">
              {s().enabled ? t('twoFactor.on') : t('twoFactor.off')}
            </span>
          )}
        </Show>
      </div>
      <p class="muted">{t('twoFactor.intro')}</p>
      <FlashMessages flash={flash} />
      <Show when={status.error()}>{(msg) => <div class="alert alert-error">{msg()}</div>}</Show>
      <Switch fallback={<p class="muted">{t('common.loading')}</p>}>
        <Match when={setup()}>
          {(s) => (
            <form class="form two-factor-setup" onSubmit={confirm} novalidate>
              <ol class="two-factor-steps">
                <li>{t('twoFactor.step.scan')}</li>
                <li>{t('twoFactor.step.code')}</li>
              </ol>
              <div class="two-factor-pair">
                <div class="two-factor-qr">
                  <Show when={s().qr} fallback={<div class="two-factor-qr-placeholder" />}>
                    {(qr) => (
                      <img
                        src={qr()}
                        alt={t('twoFactor.qrAlt')}
                        width="180"
                        height="180"
                        data-testid="totp-qr"
                      />
                    )}
                  </Show>
                </div>
                <div class="two-factor-fields">
                  <div class="field">
                    <span>{t('twoFactor.secret')}</span>
                    <div class="two-factor-secret-row">
                      <code class="two-factor-secret" data-testid="totp-secret">
                        {s()
                          .secret.replace(/(.{4})/g, '$1 ')
                          .trim()}
                      </code>
                      <button
                        type="button"
                        class="btn btn-secondary btn-sm"
                        onClick={() => copySecret(s().secret)}
                      >
                        {copied() ? t('common.copied') : t('common.copy')}
                      </button>
                    </div>
                    <small class="hint">{t('twoFactor.secretHint')}</small>
                  </div>
                  <Show when={enabled()}>
                    <label class="field">
                      <span>{t('twoFactor.currentCode')}</span>
                      <input
                        type="text"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        data-testid="totp-current-code"
                        value={currentCode()}
                        onInput={(e) => setCurrentCode(digits(e.currentTarget.value))}
                      />
                    </label>
                  </Show>
                  <label class="field">
                    <span>{t('twoFactor.code')}</span>
                    <input
                      type="text"
                      inputmode="numeric"
                      autocomplete="one-time-code"
                      placeholder="123456"
                      data-testid="totp-code"
                      value={code()}
                      onInput={(e) => setCode(digits(e.currentTarget.value))}
                    />
                  </label>
                  <div class="form-actions">
                    <button
                      type="submit"
                      class="btn btn-primary"
                      data-testid="totp-enable"
                      disabled={busy() || !hydrated()}
                    >
                      {t('twoFactor.confirm')}
                    </button>
                    <button type="button" class="btn btn-ghost" onClick={() => setSetup(undefined)}>
                      {t('common.cancel')}
                    </button>
                  </div>
                </div>
              </div>
            </form>
          )}
        </Match>
        <Match when={status.data()?.enabled}>
          <p data-testid="totp-since">
            {t('twoFactor.since', { date: formatDate(status.data()?.enabledAt) })}
          </p>
          <form class="form two-factor-off" onSubmit={turnOff} novalidate>
            <label class="field">
              <span>{t('twoFactor.offCode')}</span>
              <input
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                placeholder="123456"
                data-testid="totp-disable-code"
                value={offCode()}
                onInput={(e) => setOffCode(digits(e.currentTarget.value))}
              />
            </label>
            <div class="form-actions">
              <button
                type="submit"
                class="btn btn-danger-ghost"
                data-testid="totp-disable"
                disabled={busy() || !hydrated()}
              >
                {t('twoFactor.turnOff')}
              </button>
              <button
                type="button"
                class="btn btn-secondary"
                data-testid="totp-replace"
                disabled={busy() || !hydrated()}
                onClick={start}
              >
                {t('twoFactor.replace')}
              </button>
            </div>
          </form>
        </Match>
        <Match when={status.data()}>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="totp-setup"
            disabled={busy() || !hydrated()}
            onClick={start}
          >
            {t('twoFactor.setUp')}
          </button>
        </Match>
      </Switch>
    </section>
  );
}
