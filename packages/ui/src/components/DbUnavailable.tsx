import { Title } from '@solidjs/meta';
import { HttpHeader, HttpStatusCode } from '@solidjs/start';
import { onCleanup, onMount } from 'solid-js';
import { t } from '~/i18n/index.ts';

/** How often the page asks the site whether the database is back. */
const POLL_MS = 3_000;

/**
 * "Database unavailable" (HTTP 503 when rendered on the server): shown instead of the page while the
 * site cannot reach its database. It polls `/api/health` and reloads the page once the database
 * answers again. The middleware serves a static twin of this page (server/unavailable-page.ts).
 */
export function DbUnavailable() {
  onMount(() => {
    const timer = setInterval(() => {
      fetch('/api/health', { cache: 'no-store' }).then(
        (res) => {
          if (res.ok) {
            clearInterval(timer);
            window.location.reload();
          }
        },
        () => undefined,
      );
    }, POLL_MS);
    onCleanup(() => clearInterval(timer));
  });
  return (
    <main class="auth-page">
      <HttpStatusCode code={503} />
      <HttpHeader name="retry-after" value="10" />
      <Title>
        {t('dbUnavailable.title')} · {t('app.name')}
      </Title>
      <div class="card auth-card notfound" data-testid="db-unavailable">
        <div class="notfound-code">503</div>
        <h1>{t('dbUnavailable.title')}</h1>
        <p>{t('dbUnavailable.body')}</p>
        <p class="muted">{t('dbUnavailable.retrying')}</p>
        <button
          type="button"
          class="btn btn-primary"
          data-testid="db-unavailable-retry"
          onClick={() => window.location.reload()}
        >
          {t('dbUnavailable.retryNow')}
        </button>
      </div>
    </main>
  );
}

/** Any other error that reached the top of the app: a plain message (never the error's text or stack). */
export function ErrorPage() {
  return (
    <main class="auth-page">
      <HttpStatusCode code={500} />
      <Title>
        {t('errorPage.title')} · {t('app.name')}
      </Title>
      <div class="card auth-card notfound" data-testid="error-page">
        <div class="notfound-code">500</div>
        <h1>{t('errorPage.title')}</h1>
        <p class="muted">{t('errorPage.body')}</p>
        <button type="button" class="btn btn-primary" onClick={() => window.location.reload()}>
          {t('errorPage.reload')}
        </button>
      </div>
    </main>
  );
}
