import 'server-only';
import { DB_UNAVAILABLE_MESSAGE } from '@tollgate/control-plane/errors.ts';
import { pickLocale, readLocaleCookie } from '@tollgate/control-plane/modules/account/locale.ts';
import { en, type MessageKey } from '~/i18n/en.ts';
import { zhCN } from '~/i18n/zh-CN.ts';

/** Seconds a client is asked to wait before retrying (the `Retry-After` of every 503). */
export const RETRY_AFTER_S = 10;
/** How often the page polls the health endpoint before it reloads itself. */
const POLL_MS = 3_000;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The "database unavailable" page served while the database is down: a self-contained document (no
 * app bundle, no database, no session), in the visitor's language (cookie, else Accept-Language),
 * HTTP 503 with Retry-After. It polls `/api/health` and reloads once the database is back; without
 * JavaScript a meta refresh does the same.
 */
export function dbUnavailablePage(request: Request): Response {
  const locale = pickLocale({
    cookie: readLocaleCookie(request.headers.get('cookie')),
    acceptLanguage: request.headers.get('accept-language'),
  });
  const catalog = locale === 'zh-CN' ? zhCN : en;
  const msg = (k: MessageKey) => escapeHtml(catalog[k] ?? en[k]);
  const html = `<!DOCTYPE html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<noscript><meta http-equiv="refresh" content="${RETRY_AFTER_S}"></noscript>
<title>${msg('dbUnavailable.title')} · ${msg('app.name')}</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:32px 16px;box-sizing:border-box;
font-family:ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
font-size:14px;line-height:1.5;color:#161b2e;background:radial-gradient(1200px 500px at 50% -10%,#e0e7ff 0%,transparent 60%),#f6f7fb}
main{width:100%;max-width:440px;background:#fff;border:1px solid #e4e7ef;border-radius:10px;padding:28px;text-align:center;
box-shadow:0 1px 2px rgba(16,24,40,.05),0 1px 3px rgba(16,24,40,.04)}
.code{font-size:56px;font-weight:800;color:#4f46e5;line-height:1;margin-bottom:12px}
h1{font-size:20px;margin:0 0 12px}p{margin:0 0 14px}.muted{color:#667085}
a{display:inline-block;margin-top:4px;padding:8px 16px;border-radius:8px;background:#4f46e5;color:#fff;text-decoration:none;font-weight:600}
</style>
</head>
<body>
<main data-testid="db-unavailable">
<div class="code">503</div>
<h1>${msg('dbUnavailable.title')}</h1>
<p>${msg('dbUnavailable.body')}</p>
<p class="muted">${msg('dbUnavailable.retrying')}</p>
<a href="" data-testid="db-unavailable-retry">${msg('dbUnavailable.retryNow')}</a>
</main>
<script>
(function(){var t=setInterval(function(){fetch('/api/health',{cache:'no-store'}).then(function(r){if(r.ok){clearInterval(t);location.reload();}},function(){});},${POLL_MS});})();
</script>
</body>
</html>
`;
  return new Response(html, {
    status: 503,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'retry-after': String(RETRY_AFTER_S),
      'cache-control': 'no-store',
    },
  });
}

/** The same answer for API routes (exports, webhooks): JSON, 503, Retry-After. */
export function dbUnavailableJson(): Response {
  return new Response(
    JSON.stringify({ error: { code: 'database_unavailable', message: DB_UNAVAILABLE_MESSAGE } }),
    {
      status: 503,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'retry-after': String(RETRY_AFTER_S),
        'cache-control': 'no-store',
      },
    },
  );
}
