import { LOCALES } from '@tollgate/control-plane/modules/account/account.schemas.ts';
import { createSignal, For } from 'solid-js';
import { switchLocale } from '~/i18n/client.ts';
import { getLocale, type Locale, t } from '~/i18n/index.ts';
import { useHydrated } from '~/lib/hydrated.ts';

/**
 * EN / 中文. Remembers the choice in the tg_locale cookie (read by the server, so the next render is
 * already in that language), saves it to the account through `save` when signed in, then reloads.
 */
export function LocaleSwitcher(props: { save?: (locale: Locale) => Promise<unknown>; class?: string }) {
  const hydrated = useHydrated();
  const [busy, setBusy] = createSignal(false);
  const active = getLocale();
  return (
    <fieldset
      class={`locale-switch ${props.class ?? ''}`}
      aria-label={t('locale.label')}
      data-testid="locale-switch"
    >
      <For each={LOCALES}>
        {(l) => (
          <button
            type="button"
            lang={l}
            classList={{ active: l === active }}
            aria-pressed={l === active}
            data-testid={`locale-${l}`}
            disabled={!hydrated() || busy()}
            onClick={() => {
              if (l === active) return;
              setBusy(true);
              void switchLocale(l, props.save);
            }}
          >
            {t(`locale.name.${l}`)}
          </button>
        )}
      </For>
    </fieldset>
  );
}
