import { type JSX, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';

/** A titled, copyable code sample; the copy action is the page's (it may fetch the full key first). */
export function CodeBlock(props: {
  title: string;
  code: string;
  copied: boolean;
  onCopy: () => void;
  testId: string;
  hint?: JSX.Element;
}) {
  return (
    <figure class="code-block" data-testid={props.testId}>
      <figcaption class="code-block-head">
        <span>{props.title}</span>
        <button
          type="button"
          class="btn btn-secondary btn-sm"
          data-testid={`${props.testId}-copy`}
          onClick={() => props.onCopy()}
        >
          {props.copied ? t('common.copied') : t('common.copy')}
        </button>
      </figcaption>
      <pre class="code-block-body">
        <code data-testid={`${props.testId}-code`}>{props.code}</code>
      </pre>
      <Show when={props.hint}>
        <div class="code-block-hint small muted">{props.hint}</div>
      </Show>
    </figure>
  );
}

/** One value (base URL, header) with a copy button, in a row. */
export function CopyField(props: {
  label: string;
  value: string;
  copied: boolean;
  onCopy: () => void;
  testId: string;
}) {
  return (
    <div class="copy-field" data-testid={props.testId}>
      <span class="copy-field-label">{props.label}</span>
      <code class="copy-field-value" data-testid={`${props.testId}-value`}>
        {props.value}
      </code>
      <button
        type="button"
        class="btn btn-secondary btn-sm"
        data-testid={`${props.testId}-copy`}
        onClick={() => props.onCopy()}
      >
        {props.copied ? t('common.copied') : t('common.copy')}
      </button>
    </div>
  );
}
