import { createSignal, type JSX, Show } from 'solid-js';
import type { Flash } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { errorMessage } from '~/lib/trpc.ts';

/**
 * Runs one mutation on a table row: asks `confirmText` first when given, marks the row busy, shows a
 * failure in the page's flash, then clears the busy mark and reloads the list (also after a failure).
 */
export function createRowRunner<K>(opts: {
  flash: Flash;
  setBusy: (key: K | undefined) => void;
  reload: () => Promise<unknown>;
}) {
  return async (key: K, action: () => Promise<unknown>, confirmText?: string): Promise<void> => {
    if (confirmText !== undefined && !confirm(confirmText)) return;
    opts.setBusy(key);
    try {
      await action();
    } catch (err) {
      opts.flash.showError(errorMessage(err));
    } finally {
      opts.setBusy(undefined);
      await opts.reload();
    }
  };
}

/** A small button in a table row's action cell. */
export function RowButton(props: {
  variant: 'secondary' | 'ghost' | 'danger-ghost';
  testid?: string;
  disabled?: boolean;
  onClick: () => void;
  children: JSX.Element;
}) {
  return (
    <button
      type="button"
      class={`btn btn-${props.variant} btn-sm`}
      data-testid={props.testid}
      disabled={props.disabled}
      onClick={() => props.onClick()}
    >
      {props.children}
    </button>
  );
}

/** The row's delete button; with `confirmText` it asks before calling `onDelete`. */
export function DeleteButton(props: {
  testid?: string;
  disabled?: boolean;
  confirmText?: () => string;
  onDelete: () => void;
}) {
  return (
    <RowButton
      variant="danger-ghost"
      testid={props.testid}
      disabled={props.disabled}
      onClick={() => {
        if (props.confirmText && !confirm(props.confirmText())) return;
        props.onDelete();
      }}
    >
      {t('common.delete')}
    </RowButton>
  );
}

/**
 * State of a page's create/edit form card: the row being edited (none = create), the saving flag, a
 * revision that remounts the empty create form after a create, and the card element to scroll to.
 */
export function createEditPanel<T>(opts: { flash: Flash; reload: () => Promise<unknown> }) {
  const [editing, setEditing] = createSignal<T>();
  const [saving, setSaving] = createSignal(false);
  const [formRev, setFormRev] = createSignal(0);
  let card: HTMLElement | undefined;
  const scrollToForm = () => card?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  return {
    editing,
    setEditing,
    saving,
    formRev,
    /** Remounts the create form (clears it). */
    nextForm: () => setFormRev(formRev() + 1),
    cardRef: (el: HTMLElement) => {
      card = el;
    },
    scrollToForm,
    /** Opens `row` in the form (clearing the flash) and scrolls to it. */
    startEdit(row: T) {
      setEditing(() => row);
      opts.flash.clear();
      scrollToForm();
    },
    /** Switches the form to a new row and scrolls to it. */
    startCreate() {
      setEditing(undefined);
      scrollToForm();
    },
    /** Runs a save with the saving flag up, shows a failure in the flash, then reloads the list. */
    async save(action: () => Promise<unknown>): Promise<void> {
      setSaving(true);
      try {
        await action();
      } catch (err) {
        opts.flash.showError(errorMessage(err));
      } finally {
        setSaving(false);
        await opts.reload();
      }
    },
  };
}

/** The page header's "new" button of an edit panel. */
export function NewButton(props: {
  testid: string;
  panel: { startCreate: () => void };
  children: JSX.Element;
}) {
  return (
    <button
      type="button"
      class="btn btn-primary"
      data-testid={props.testid}
      onClick={() => props.panel.startCreate()}
    >
      {props.children}
    </button>
  );
}

/**
 * The form of an edit panel: `form(row)` while a row is edited, else `form()` for a new one, remounted
 * (emptied) whenever `rev` changes.
 */
export function PanelForm<T>(props: { editing: T | undefined; rev: number; form: (row?: T) => JSX.Element }) {
  return (
    <Show
      when={props.editing}
      keyed
      fallback={
        <Show when={props.rev + 1} keyed>
          {(_rev) => props.form()}
        </Show>
      }
    >
      {(row) => props.form(row)}
    </Show>
  );
}
