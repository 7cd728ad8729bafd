// What every page shares: its signature, loading and error states.
import { ApiError } from './api';
import { Child, clear, h } from './dom';
import { Route } from './route';

/** Renders a page into `el`; `live()` turns false once the user has moved on. */
export type Page = (route: Route, el: HTMLElement, live: () => boolean) => Promise<void>;

export function loading(what: string): HTMLElement {
  return h('p', { class: 'muted loading' }, `Loading ${what}…`);
}

/** A clear message for a failed call, with a retry button where retrying can help. */
export function errorBox(e: unknown, retry?: () => void): HTMLElement {
  let text: string;
  let kind: string;
  if (e instanceof ApiError) {
    switch (e.status) {
      case 0:
        kind = 'unavailable';
        text = 'The command plane did not answer. Check that it is running, then retry.';
        break;
      case 503:
        kind = 'unavailable';
        text = `The command plane is unavailable for now (503: ${e.message}). Retry in a moment.`;
        break;
      case 404:
        kind = 'not-available';
        text = `Not available: this command plane does not serve ${e.path} (yet).`;
        break;
      case 403:
        kind = 'forbidden';
        text = `Your role may not do this (${e.message}).`;
        break;
      case 401:
        kind = 'unauthorized';
        text = 'Your token was not accepted: sign in again.';
        break;
      default:
        kind = 'error';
        text = `${e.path}: ${e.message}`;
    }
  } else {
    kind = 'error';
    text = e instanceof Error ? e.message : String(e);
  }
  const retryable = !(e instanceof ApiError) || e.status === 0 || e.status === 503;
  return h('div', { class: 'error', role: 'alert', 'data-error': kind }, text,
    retry && retryable ? [' ', h('button', { type: 'button', onclick: retry }, 'Retry')] : null);
}

/** Runs `load` in `el`, showing the loading state, then the result or the error. */
export async function section(el: HTMLElement, what: string, live: () => boolean,
  load: () => Promise<Child>): Promise<void> {
  clear(el, loading(what));
  try {
    const content = await load();
    if (live()) clear(el, content);
  } catch (e) {
    if (live()) clear(el, errorBox(e, () => void section(el, what, live, load)));
  }
}
