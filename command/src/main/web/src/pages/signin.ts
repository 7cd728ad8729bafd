// Sign-in: paste an API token; it is kept in this tab's sessionStorage only.
import { api, ApiError, Role, session } from '../api';
import { clear, h } from '../dom';
import { go } from '../route';
import { errorBox, Page } from '../view';

/** Checks a token with whoami: who the caller is and what it may do. */
export async function signIn(token: string): Promise<{ name: string; role: Role }> {
  const me = await api<{ name: string; role: Role }>('/api/v1/whoami', { token });
  return { name: me.name, role: me.role };
}

export const signinPage: Page = async (route, el) => {
  const input = h('input', { type: 'password', name: 'token', id: 'token', required: true,
    autocomplete: 'off', size: 48, 'aria-label': 'API token' });
  const result = h('div', {});
  const form = h('form', { class: 'signin' }, h('label', { for: 'token' }, 'API token'), input,
    h('button', { type: 'submit' }, 'Sign in'), result);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = input.value.trim();
    clear(result, h('span', { class: 'muted' }, 'Checking…'));
    signIn(token).then((me) => {
      session.signIn(token, me.name, me.role);
      input.value = '';
      go(route.params.get('next') ?? 'map');
    }).catch((err) => {
      clear(result, err instanceof ApiError && err.status === 401
        ? h('div', { class: 'error', role: 'alert', 'data-error': 'unauthorized' },
          'This token was not accepted (expected: a token of api_tokens, or an OIDC JWT).')
        : errorBox(err));
    });
  });
  clear(el, h('h1', {}, 'Sign in'),
    route.params.get('expired') ? h('p', { class: 'error', 'data-error': 'unauthorized' },
      'Your session ended or the token was refused: sign in again.') : null,
    h('p', { class: 'muted' }, 'Paste an API token of the command plane. It stays in this tab'
      + ' (sessionStorage) and is sent only to this plane.'), form);
  input.focus();
};
