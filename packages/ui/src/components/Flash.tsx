import { createSignal, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';

/** One success/error message slot per page; a new message replaces the old one. */
export function createFlash() {
  const [error, setError] = createSignal<string>();
  const [success, setSuccess] = createSignal<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const clear = () => {
    setError(undefined);
    setSuccess(undefined);
  };
  return {
    error,
    success,
    clear,
    showError(message: string) {
      clearTimeout(timer);
      setSuccess(undefined);
      setError(message);
    },
    showSuccess(message: string) {
      clearTimeout(timer);
      setError(undefined);
      setSuccess(message);
      timer = setTimeout(() => setSuccess(undefined), 6000);
    },
  };
}

export type Flash = ReturnType<typeof createFlash>;

export function FlashMessages(props: { flash: Flash }) {
  return (
    <div class="flash-area">
      <Show when={props.flash.error()}>
        {(msg) => (
          <div class="alert alert-error" role="alert" data-testid="error-message">
            <span>{msg()}</span>
            <button
              type="button"
              class="alert-close"
              aria-label={t('common.dismiss')}
              onClick={props.flash.clear}
            />
          </div>
        )}
      </Show>
      <Show when={props.flash.success()}>
        {(msg) => (
          <div class="alert alert-success" role="status" data-testid="success-message">
            <span>{msg()}</span>
            <button
              type="button"
              class="alert-close"
              aria-label={t('common.dismiss')}
              onClick={props.flash.clear}
            />
          </div>
        )}
      </Show>
    </div>
  );
}
