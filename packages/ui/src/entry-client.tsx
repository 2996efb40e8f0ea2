// @refresh reload
import { mount, StartClient } from '@solidjs/start/client';
import { loadLocale } from '~/i18n/client.ts';

// hydrate in the language the server rendered (its <html lang>), so no text changes on the way
loadLocale(document.documentElement.lang);
mount(() => <StartClient />, document.getElementById('app')!);
