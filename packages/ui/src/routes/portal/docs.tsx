import { Title } from '@solidjs/meta';
import { A } from '@solidjs/router';
import type { DisplayCurrency } from '@tollgate/shared/currency.ts';
import { isWildcard, matchesAny } from '@tollgate/shared/model-match.ts';
import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { CodeBlock, CopyField } from '~/components/CodeBlock.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { copyText } from '~/lib/clipboard.ts';
import {
  authHeader,
  EXAMPLES,
  type ExampleId,
  type ExampleLanguage,
  exampleCode,
} from '~/lib/docs-examples.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { RELAY_ERRORS } from '~/lib/relay-errors.ts';
import { tokenWarnings } from '~/lib/token-health.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { RouterOutputs, TokenRow } from '~/lib/types.ts';
import '~/components/portal.css';

type DocsModel = RouterOutputs['docs']['models']['models'][number];

const PLACEHOLDER_KEY = 'sk-your-api-key';
const FALLBACK_MODEL = 'gpt-4o-mini';
const LANGUAGES: ExampleLanguage[] = ['curl', 'python', 'node'];

/** A key that works right now: enabled, not expired, quota left. */
function usable(row: TokenRow, now: number): boolean {
  return (
    row.status === 'enabled' &&
    !tokenWarnings(row, now).some((w) => w.kind === 'expired' || w.kind === 'exhausted')
  );
}

/** Models of the list a key may call (its allowed-models patterns, when it has any). */
function allowedFor(models: DocsModel[], key: TokenRow | undefined): DocsModel[] {
  const patterns = key?.models;
  if (!patterns) return models;
  return models.filter((m) =>
    m.wildcard
      ? patterns.some(
          (p) => p.startsWith(m.model.slice(0, -1)) || (isWildcard(p) && m.model.startsWith(p.slice(0, -1))),
        )
      : matchesAny(patterns, m.model),
  );
}

/**
 * Integration docs (SPEC §8): the relay base URL and the user's chosen key filled into copy-paste
 * examples (curl, Python and Node `openai`, plain and streaming), the models they can call with prices,
 * and what each relay error means. The key stays masked on screen; copying fetches it in full.
 */
export default function DocsPage() {
  const flash = createFlash();
  const info = createLoader(() => trpc.docs.info.query());
  const tokens = createLoader(() => trpc.tokens.list.query());
  const options = createLoader(() => trpc.tokens.options.query());
  const [chosenId, setChosenId] = createSignal<number>();
  const [fullKeys, setFullKeys] = createSignal<Record<number, string>>({});
  const [showKey, setShowKey] = createSignal(false);
  const [chosenModel, setChosenModel] = createSignal<string>();
  const [language, setLanguage] = createSignal<ExampleLanguage>('curl');
  const [copied, setCopied] = createSignal<string>();

  const key = createMemo<TokenRow | undefined>(() => {
    const rows = tokens.data() ?? [];
    const id = chosenId();
    return rows.find((r) => r.id === id) ?? rows.find((r) => usable(r, Date.now())) ?? rows[0];
  });
  const group = () => key()?.groupName ?? undefined;
  const models = createLoader(() => trpc.docs.models.query({ group: group() }));
  // the models depend on the chosen key's group: reload when it changes (the keys load after mount)
  createEffect(on(group, () => void models.reload(), { defer: true }));
  const callable = createMemo(() => allowedFor(models.data()?.models ?? [], key()));
  const model = () => {
    const exact = callable().filter((m) => !m.wildcard);
    const chosen = chosenModel();
    if (chosen && exact.some((m) => m.model === chosen)) return chosen;
    return exact[0]?.model ?? FALLBACK_MODEL;
  };
  const baseUrl = () => info.data()?.baseUrl ?? '';
  const money = () => {
    const o = options.data();
    return { quotaPerUnit: o?.quotaPerUnit ?? 500_000, currency: (o?.currency ?? 'USD') as DisplayCurrency };
  };

  /** What the page shows in place of the key: the mask, unless the user asked to see it. */
  const shownKey = () => {
    const k = key();
    if (!k) return PLACEHOLDER_KEY;
    return (showKey() && fullKeys()[k.id]) || k.keyMask;
  };

  async function fullKey(): Promise<string> {
    const k = key();
    if (!k) return PLACEHOLDER_KEY;
    const known = fullKeys()[k.id];
    if (known) return known;
    const { key: plain } = await trpc.tokens.reveal.mutate({ id: k.id });
    setFullKeys({ ...fullKeys(), [k.id]: plain });
    return plain;
  }

  let copiedTimer: ReturnType<typeof setTimeout> | undefined;
  async function copy(id: string, text: () => Promise<string> | string) {
    try {
      const value = await text();
      try {
        await copyText(value);
      } catch {
        return flash.showError(t('docs.copyFailed'));
      }
      clearTimeout(copiedTimer);
      setCopied(id);
      copiedTimer = setTimeout(() => setCopied(undefined), 2000);
    } catch (err) {
      flash.showError(errorMessage(err));
    }
  }

  const copyExample = (id: ExampleId) =>
    copy(id, async () => exampleCode(id, { baseUrl: baseUrl(), apiKey: await fullKey(), model: model() }));

  async function toggleShowKey() {
    if (showKey()) return setShowKey(false);
    try {
      await fullKey();
      setShowKey(true);
    } catch (err) {
      flash.showError(errorMessage(err));
    }
  }

  function chooseKey(id: number) {
    setChosenId(id);
    setShowKey(false);
  }

  const price = (units: number | null | undefined) =>
    units === null || units === undefined ? t('common.none') : formatMoney(units, money());

  return (
    <>
      <Title>
        {t('docs.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('docs.title')} subtitle={t('docs.subtitle')} />
      <FlashMessages flash={flash} />

      <ol class="steps">
        <li>
          <strong>{t('docs.step1.title')}</strong>
          <span class="muted">{t('docs.step1.body')}</span>
        </li>
        <li>
          <strong>{t('docs.step2.title')}</strong>
          <span class="muted">{t('docs.step2.body')}</span>
        </li>
        <li>
          <strong>{t('docs.step3.title')}</strong>
          <span class="muted">{t('docs.step3.body')}</span>
        </li>
      </ol>

      <section class="card" data-testid="docs-connection">
        <h2>{t('docs.connection.title')}</h2>
        <Show when={info.error() ?? tokens.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
            </div>
          )}
        </Show>
        <Show when={tokens.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(rows) => (
            <Show
              when={rows().length > 0}
              fallback={
                <div class="alert alert-warn" data-testid="docs-no-key">
                  <span>{t('docs.noKey')}</span>
                  <A href="/portal/tokens" class="btn btn-primary btn-sm">
                    {t('docs.createKey')}
                  </A>
                </div>
              }
            >
              <div class="docs-key-row">
                <label class="field">
                  <span>{t('docs.key')}</span>
                  <select
                    data-testid="docs-key"
                    value={key()?.id ?? ''}
                    onChange={(e) => chooseKey(Number(e.currentTarget.value))}
                  >
                    <For each={rows()}>
                      {(r) => (
                        <option value={r.id}>
                          {r.name} ({r.keyMask}){usable(r, Date.now()) ? '' : ` — ${t('docs.keyUnusable')}`}
                        </option>
                      )}
                    </For>
                  </select>
                </label>
                <label class="field">
                  <span>{t('docs.model')}</span>
                  <select
                    data-testid="docs-model"
                    value={model()}
                    onChange={(e) => setChosenModel(e.currentTarget.value)}
                  >
                    <Show when={!callable().some((m) => !m.wildcard)}>
                      <option value={FALLBACK_MODEL}>{FALLBACK_MODEL}</option>
                    </Show>
                    <For each={callable().filter((m) => !m.wildcard)}>
                      {(m) => <option value={m.model}>{m.model}</option>}
                    </For>
                  </select>
                </label>
              </div>
              <Show when={key() && !usable(key()!, Date.now())}>
                <div class="alert alert-warn" data-testid="docs-key-unusable">
                  <span>{t('docs.keyUnusableHint')}</span>
                  <A href="/portal/tokens">{t('docs.manageKeys')}</A>
                </div>
              </Show>
            </Show>
          )}
        </Show>
        <div class="copy-fields">
          <CopyField
            label={t('docs.baseUrl')}
            value={baseUrl() || t('common.loading')}
            copied={copied() === 'base-url'}
            onCopy={() => copy('base-url', baseUrl)}
            testId="docs-base-url"
          />
          <CopyField
            label={t('docs.header')}
            value={authHeader(shownKey())}
            copied={copied() === 'header'}
            onCopy={() => copy('header', async () => authHeader(await fullKey()))}
            testId="docs-header"
          />
        </div>
        <Show when={key()}>
          <button
            type="button"
            class="btn btn-ghost btn-sm"
            data-testid="docs-show-key"
            onClick={toggleShowKey}
          >
            {showKey() ? t('docs.hideKey') : t('docs.showKey')}
          </button>
          <span class="small muted"> {t('docs.keyMaskedHint')}</span>
        </Show>
      </section>

      <section class="card" data-testid="docs-examples">
        <div class="card-title-row">
          <h2>{t('docs.examples.title')}</h2>
          <div class="tabs" role="tablist">
            <For each={LANGUAGES}>
              {(lang) => (
                <button
                  type="button"
                  role="tab"
                  aria-selected={language() === lang}
                  classList={{ active: language() === lang }}
                  data-testid={`docs-tab-${lang}`}
                  onClick={() => setLanguage(lang)}
                >
                  {t(`docs.lang.${lang}`)}
                </button>
              )}
            </For>
          </div>
        </div>
        <p class="muted small">{t(`docs.examples.intro.${language()}`)}</p>
        <Show when={EXAMPLES[language()].install}>
          {(install) => (
            <CodeBlock
              title={t('docs.examples.install')}
              code={install()}
              copied={copied() === `install-${language()}`}
              onCopy={() => copy(`install-${language()}`, install)}
              testId={`docs-install-${language()}`}
            />
          )}
        </Show>
        <For each={EXAMPLES[language()].ids}>
          {(id) => (
            <CodeBlock
              title={t(id.endsWith('-stream') ? 'docs.examples.stream' : 'docs.examples.plain')}
              code={exampleCode(id, { baseUrl: baseUrl(), apiKey: shownKey(), model: model() })}
              copied={copied() === id}
              onCopy={() => copyExample(id)}
              testId={`docs-example-${id}`}
              hint={t(`docs.examples.run.${language()}`)}
            />
          )}
        </For>
      </section>

      <section class="card" data-testid="docs-models">
        <h2>{t('docs.models.title')}</h2>
        <p class="muted small">
          {t('docs.models.intro', {
            group: models.data()?.group ?? '',
            currency: money().currency,
          })}
        </p>
        <Show when={models.error()}>{(msg) => <div class="alert alert-error">{msg()}</div>}</Show>
        <Show when={models.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
          <Show
            when={callable().length > 0}
            fallback={
              <p class="empty-state" data-testid="docs-models-empty">
                {t('docs.models.empty')}
              </p>
            }
          >
            <div class="table-wrap">
              <table class="table docs-models-table">
                <thead>
                  <tr>
                    <th>{t('docs.models.col.model')}</th>
                    <th class="num">{t('docs.models.col.input')}</th>
                    <th class="num">{t('docs.models.col.cached')}</th>
                    <th class="num">{t('docs.models.col.output')}</th>
                    <th class="num">{t('docs.models.col.perCall')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={callable()}>
                    {(m) => (
                      <tr data-testid="docs-model-row">
                        <td>
                          <code>{m.model}</code>
                          <Show when={m.wildcard}>
                            <div class="small muted">
                              {t('docs.models.wildcard', { prefix: m.model.slice(0, -1) })}
                            </div>
                          </Show>
                        </td>
                        <Show
                          when={m.price}
                          fallback={
                            <td class="num" colSpan={4}>
                              <Show
                                when={m.free}
                                fallback={<span class="muted">{t('docs.models.perModel')}</span>}
                              >
                                <span class="badge badge-ok">{t('docs.models.free')}</span>
                              </Show>
                            </td>
                          }
                        >
                          {(p) => (
                            <Show
                              when={p().perCall === null}
                              fallback={
                                <>
                                  <td class="num muted" colSpan={3}>
                                    {t('docs.models.perCallOnly')}
                                  </td>
                                  <td class="num">{price(p().perCall)}</td>
                                </>
                              }
                            >
                              <td class="num">{price(p().input)}</td>
                              <td class="num">{price(p().cachedInput ?? p().input)}</td>
                              <td class="num">{price(p().output)}</td>
                              <td class="num muted">{t('common.none')}</td>
                            </Show>
                          )}
                        </Show>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        </Show>
      </section>

      <section class="card" data-testid="docs-errors">
        <h2>{t('docs.errors.title')}</h2>
        <p class="muted small">{t('docs.errors.intro')}</p>
        <pre class="code-block-body inline-sample">{`{ "error": { "message": "…", "type": "…", "param": null, "code": "invalid_api_key" } }`}</pre>
        <div class="table-wrap">
          <table class="table docs-errors-table">
            <thead>
              <tr>
                <th>{t('docs.errors.col.status')}</th>
                <th>{t('docs.errors.col.code')}</th>
                <th>{t('docs.errors.col.what')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={RELAY_ERRORS}>
                {(e) => (
                  <tr data-testid="docs-error-row" data-code={e.code}>
                    <td class="nowrap">
                      <span class={e.status >= 500 ? 'badge badge-warn' : 'badge badge-plain'}>
                        {e.status}
                      </span>
                    </td>
                    <td class="nowrap">
                      <code>{e.code}</code>
                    </td>
                    <td>{t(`docs.error.${e.code}`)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
