import { createSignal, onMount } from 'solid-js';

/**
 * False in the server-rendered HTML and until the page has hydrated. Submit buttons stay disabled
 * until then, so an early click can never fall back to a native GET form submission (which would
 * put the password in the URL).
 */
export function useHydrated(): () => boolean {
  const [hydrated, setHydrated] = createSignal(false);
  onMount(() => setHydrated(true));
  return hydrated;
}
