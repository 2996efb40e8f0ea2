import { MetaProvider, Title } from '@solidjs/meta';
import { Router } from '@solidjs/router';
import { FileRoutes } from '@solidjs/start/router';
import { ErrorBoundary, Show, Suspense } from 'solid-js';
import { DbUnavailable, ErrorPage } from '~/components/DbUnavailable.tsx';
import { t } from '~/i18n/index.ts';
import { dbDown, isDbUnavailableError } from '~/lib/db-status.ts';
import './app.css';

export default function App() {
  return (
    <Router
      root={(props) => (
        <MetaProvider>
          <Title>{t('app.name')}</Title>
          {/* a guard or a call that finds the database down shows its page instead of this one */}
          <ErrorBoundary fallback={(err) => (isDbUnavailableError(err) ? <DbUnavailable /> : <ErrorPage />)}>
            <Show when={!dbDown()} fallback={<DbUnavailable />}>
              <Suspense>{props.children}</Suspense>
            </Show>
          </ErrorBoundary>
        </MetaProvider>
      )}
    >
      <FileRoutes />
    </Router>
  );
}
