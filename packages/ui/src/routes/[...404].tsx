import { A } from '@solidjs/router';
import { HttpStatusCode } from '@solidjs/start';
import { t } from '~/i18n/index.ts';

export default function NotFound() {
  return (
    <main class="auth-page">
      <HttpStatusCode code={404} />
      <div class="card auth-card notfound">
        <div class="notfound-code">404</div>
        <h1>{t('notFound.title')}</h1>
        <p class="muted">{t('notFound.body')}</p>
        <A href="/" class="btn btn-primary">
          {t('notFound.home')}
        </A>
      </div>
    </main>
  );
}
