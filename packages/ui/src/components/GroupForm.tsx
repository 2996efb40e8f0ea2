import {
  type CreateGroupInput,
  createGroupSchema,
  updateGroupSchema,
} from '@tollgate/control-plane/modules/groups/groups.schemas.ts';
import { createSignal, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { firstIssue } from '~/lib/currency-input.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import type { GroupRow } from '~/lib/types.ts';
import './config-pages.css';

/**
 * Create/edit form of a group. The multiplier is typed as a decimal and sent as text (the server
 * stores it exactly in ppm); the same zod schema as the server's checks the values first.
 * `initial` with `defined: false` defines a group that users already refer to.
 */
export function GroupForm(props: {
  initial?: GroupRow;
  busy: boolean;
  onSubmit: (values: CreateGroupInput, mode: 'create' | 'update') => void;
  onInvalid: (message: string) => void;
  onCancel?: () => void;
}) {
  const init = props.initial;
  const updating = Boolean(init?.defined);
  const [name, setName] = createSignal(init?.name ?? '');
  const [description, setDescription] = createSignal(init?.description ?? '');
  const [multiplier, setMultiplier] = createSignal(init?.multiplier ?? '1');
  const [rpm, setRpm] = createSignal(init?.rpmLimit?.toString() ?? '');
  const [tpm, setTpm] = createSignal(init?.tpmLimit?.toString() ?? '');
  const hydrated = useHydrated();

  function limit(text: string, field: string): number | null | string {
    const v = text.trim();
    if (!v) return null;
    if (!/^\d+$/.test(v)) return t('validation.intInvalid', { field });
    return Number(v);
  }

  function submit(e: SubmitEvent) {
    e.preventDefault();
    const rpmLimit = limit(rpm(), t('groups.field.rpm'));
    if (typeof rpmLimit === 'string') return props.onInvalid(rpmLimit);
    const tpmLimit = limit(tpm(), t('groups.field.tpm'));
    if (typeof tpmLimit === 'string') return props.onInvalid(tpmLimit);
    const values = {
      name: name().trim(),
      description: description().trim(),
      multiplier: multiplier().trim(),
      rpmLimit,
      tpmLimit,
    };
    const parsed = (updating ? updateGroupSchema : createGroupSchema).safeParse(values);
    if (!parsed.success) return props.onInvalid(firstIssue(parsed.error));
    props.onSubmit(values, updating ? 'update' : 'create');
  }

  return (
    <form class="form form-grid" onSubmit={submit} novalidate data-testid="group-form">
      <label class="field">
        <span>{t('groups.field.name')}</span>
        <input
          type="text"
          data-testid="group-name"
          placeholder={t('groups.field.namePlaceholder')}
          value={name()}
          disabled={Boolean(init)}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <small class="hint">{t('groups.field.nameHint')}</small>
      </label>
      <label class="field">
        <span>{t('groups.field.multiplier')}</span>
        <div class="input-affix">
          <span>×</span>
          <input
            type="text"
            inputmode="decimal"
            data-testid="group-multiplier"
            value={multiplier()}
            onInput={(e) => setMultiplier(e.currentTarget.value)}
          />
        </div>
        <small class="hint">{t('groups.field.multiplierHint')}</small>
      </label>
      <label class="field span-all">
        <span>{t('groups.field.description')}</span>
        <input
          type="text"
          data-testid="group-description"
          value={description()}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('groups.field.rpm')}</span>
        <input
          type="number"
          min="1"
          step="1"
          data-testid="group-rpm"
          placeholder={t('groups.noLimit')}
          value={rpm()}
          onInput={(e) => setRpm(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('groups.field.tpm')}</span>
        <input
          type="number"
          min="1"
          step="1"
          data-testid="group-tpm"
          placeholder={t('groups.noLimit')}
          value={tpm()}
          onInput={(e) => setTpm(e.currentTarget.value)}
        />
      </label>
      <div class="form-actions span-all">
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="group-submit"
          disabled={props.busy || !hydrated()}
        >
          {props.busy ? t('groups.saving') : updating ? t('groups.submitUpdate') : t('groups.submitCreate')}
        </button>
        <Show when={props.onCancel}>
          {(cancel) => (
            <button type="button" class="btn btn-ghost" data-testid="group-cancel" onClick={() => cancel()()}>
              {t('common.cancel')}
            </button>
          )}
        </Show>
      </div>
    </form>
  );
}
