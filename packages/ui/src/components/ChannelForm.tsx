import { createSignal, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { splitLines, splitList } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import type { ChannelRow, RouterInputs } from '~/lib/types.ts';

export type ChannelCreateInput = RouterInputs['channels']['create'];

/** What the form produces; `keys` is absent when editing with the keys box left empty. */
export type ChannelFormValues = Omit<ChannelCreateInput, 'keys'> & { keys?: string[] };

function mappingText(mapping: Record<string, string> | undefined): string {
  return Object.entries(mapping ?? {})
    .map(([alias, upstream]) => `${alias}=${upstream}`)
    .join('\n');
}

/** Create/edit form of a channel; `initial` prefills it for editing (keys are never sent back). */
export function ChannelForm(props: {
  initial?: ChannelRow;
  busy: boolean;
  onSubmit: (values: ChannelFormValues) => void;
  onInvalid: (message: string) => void;
  onCancel?: () => void;
}) {
  const init = props.initial;
  const [name, setName] = createSignal(init?.name ?? '');
  const [baseUrl, setBaseUrl] = createSignal(init?.baseUrl ?? '');
  const [keys, setKeys] = createSignal('');
  const [models, setModels] = createSignal(init ? init.models.join(', ') : '');
  const [mapping, setMapping] = createSignal(mappingText(init?.modelMapping));
  const [groups, setGroups] = createSignal(init ? init.groups.join(', ') : 'default');
  const [priority, setPriority] = createSignal(String(init?.priority ?? 0));
  const [weight, setWeight] = createSignal(String(init?.weight ?? 1));
  const [testModel, setTestModel] = createSignal(init?.testModel ?? '');
  const editing = () => Boolean(init);
  const hydrated = useHydrated();

  function collect(): ChannelFormValues | string {
    if (!name().trim()) return t('validation.nameRequired');
    let url: URL | undefined;
    try {
      url = new URL(baseUrl().trim());
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) return t('validation.baseUrlInvalid');
    const keyList = splitLines(keys());
    if (!editing() && keyList.length === 0) return t('validation.keysRequired');
    const modelList = splitList(models());
    if (modelList.length === 0) return t('validation.modelsRequired');
    const modelMapping: Record<string, string> = {};
    const lines = mapping().split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (!line) continue;
      const eq = line.indexOf('=');
      const alias = line.slice(0, eq).trim();
      const upstream = line.slice(eq + 1).trim();
      if (eq <= 0 || !alias || !upstream) return t('validation.mappingInvalid', { line: i + 1 });
      modelMapping[alias] = upstream;
    }
    const groupList = splitList(groups());
    if (groupList.length === 0) return t('validation.groupsRequired');
    if (!/^-?\d+$/.test(priority().trim()))
      return t('validation.intInvalid', { field: t('channels.field.priority') });
    if (!/^\d+$/.test(weight().trim()))
      return t('validation.intInvalid', { field: t('channels.field.weight') });
    return {
      name: name().trim(),
      type: 'openai-compatible',
      baseUrl: baseUrl().trim(),
      ...(keyList.length ? { keys: keyList } : {}),
      models: modelList,
      modelMapping,
      groups: groupList,
      priority: Number(priority().trim()),
      weight: Number(weight().trim()),
      testModel: testModel().trim() || null,
    };
  }

  function submit(e: SubmitEvent) {
    e.preventDefault();
    const values = collect();
    if (typeof values === 'string') props.onInvalid(values);
    else props.onSubmit(values);
  }

  return (
    <form class="form form-grid" onSubmit={submit} novalidate data-testid="channel-form">
      <label class="field">
        <span>{t('channels.field.name')}</span>
        <input
          type="text"
          data-testid="channel-name"
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('channels.field.type')}</span>
        <select data-testid="channel-type" disabled>
          <option value="openai-compatible">{t('channels.type.openai-compatible')}</option>
        </select>
      </label>
      <label class="field span-all">
        <span>{t('channels.field.baseUrl')}</span>
        <input
          type="url"
          data-testid="channel-base-url"
          placeholder={t('channels.field.baseUrlPlaceholder')}
          value={baseUrl()}
          onInput={(e) => setBaseUrl(e.currentTarget.value)}
        />
      </label>
      <label class="field span-all">
        <span>{t('channels.field.keys')}</span>
        <textarea
          rows="3"
          class="mono"
          data-testid="channel-keys"
          placeholder={t('channels.field.keysPlaceholder')}
          value={keys()}
          onInput={(e) => setKeys(e.currentTarget.value)}
        />
        <Show when={editing()}>
          <small class="hint">{t('channels.field.keysEditHint')}</small>
        </Show>
      </label>
      <label class="field span-all">
        <span>{t('channels.field.models')}</span>
        <input
          type="text"
          data-testid="channel-models"
          placeholder={t('channels.field.modelsPlaceholder')}
          value={models()}
          onInput={(e) => setModels(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('channels.field.mapping')}</span>
        <textarea
          rows="3"
          class="mono"
          data-testid="channel-mapping"
          placeholder={t('channels.field.mappingPlaceholder')}
          value={mapping()}
          onInput={(e) => setMapping(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('channels.field.groups')}</span>
        <input
          type="text"
          data-testid="channel-groups"
          value={groups()}
          onInput={(e) => setGroups(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('channels.field.priority')}</span>
        <input
          type="number"
          step="1"
          data-testid="channel-priority"
          value={priority()}
          onInput={(e) => setPriority(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('channels.field.weight')}</span>
        <input
          type="number"
          min="0"
          step="1"
          data-testid="channel-weight"
          value={weight()}
          onInput={(e) => setWeight(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('channels.field.testModel')}</span>
        <input
          type="text"
          data-testid="channel-test-model"
          value={testModel()}
          onInput={(e) => setTestModel(e.currentTarget.value)}
        />
      </label>
      <div class="form-actions span-all">
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="channel-submit"
          disabled={props.busy || !hydrated()}
        >
          {props.busy
            ? t('channels.saving')
            : editing()
              ? t('channels.submitUpdate')
              : t('channels.submitCreate')}
        </button>
        <Show when={props.onCancel}>
          {(cancel) => (
            <button
              type="button"
              class="btn btn-ghost"
              data-testid="channel-cancel"
              onClick={() => cancel()()}
            >
              {t('common.cancel')}
            </button>
          )}
        </Show>
      </div>
    </form>
  );
}
