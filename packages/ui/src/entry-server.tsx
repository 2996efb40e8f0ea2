// @refresh reload
import { createHandler, StartServer } from '@solidjs/start/server';
import { getLocale } from '~/i18n/index.ts';
import { resolvePageLocale } from '~/server/locale.ts';

export default createHandler(
  () => (
    <StartServer
      document={({ assets, children, scripts }) => (
        <html lang={getLocale()}>
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <link
              rel="icon"
              href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M9 11h14M16 11v12' stroke='white' stroke-width='3.5' stroke-linecap='round'/%3E%3C/svg%3E"
            />
            {assets}
          </head>
          <body>
            <div id="app">{children}</div>
            {scripts}
          </body>
        </html>
      )}
    />
  ),
  // the page's language is settled before rendering starts (cookie, account, Accept-Language)
  async (event) => {
    await resolvePageLocale(event);
    return {};
  },
);
