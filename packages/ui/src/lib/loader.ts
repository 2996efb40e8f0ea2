import { createSignal, onMount } from 'solid-js';
import { errorMessage, isUnauthorized } from './trpc.ts';

/**
 * Browser-side data for a page: fetched after hydration (so server-rendered HTML never waits for it
 * or embeds it), with an explicit `reload()` after mutations.
 */
export function createLoader<T>(fetcher: () => Promise<T>) {
  const [data, setData] = createSignal<T>();
  const [error, setError] = createSignal<string>();
  const [loading, setLoading] = createSignal(true);
  let seq = 0;
  async function reload(): Promise<void> {
    const mine = ++seq;
    setLoading(true);
    try {
      const value = await fetcher();
      if (mine !== seq) return;
      setData(() => value);
      setError(undefined);
    } catch (err) {
      if (mine !== seq) return;
      // the session ended while the page was open: back to the sign-in page
      if (isUnauthorized(err)) return window.location.assign('/login');
      setError(errorMessage(err));
    } finally {
      if (mine === seq) setLoading(false);
    }
  }
  onMount(() => void reload());
  return { data, error, loading, reload };
}
