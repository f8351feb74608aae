// Sign in with an API key. The key is kept in sessionStorage for this tab
// only and sent as a Bearer header; the page never shows a key back.

import { get, session, ApiError, fieldErrors } from '../api.js';
import { h, replace, field, showFieldErrors, clearFieldErrors } from '../dom.js';

export async function mount(main, ctx) {
  const input = h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' });
  const form = h('form', { novalidate: true, class: 'narrow', 'aria-labelledby': 'signin-title' },
    field('API key', input, { name: 'key', hint: 'Starts with phk_. Kept in this browser tab only, until you sign out or close it.' }),
    h('p', { class: 'error', 'data-error-for': '_form', role: 'alert' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')));
  let state = null;
  if (ctx.me && ctx.me.anonymous) {
    state = h('p', { class: 'muted', 'data-signed-in': 'anonymous' }, ctx.me.noAuth ? 'This hub needs no key; a key changes nothing.' : `You are anonymous with the ${ctx.me.scope} scope; a key can give you more.`);
  } else if (ctx.me) {
    state = h('p', { class: 'notice', 'data-signed-in': 'key' }, `You are signed in as ${ctx.me.name} (${ctx.me.scope}). `,
      h('a', { href: '#/' }, 'Go to the dashboard'), ', or sign in with another key below.');
  }
  replace(main, h('h1', { id: 'signin-title' }, 'Sign in'), state, form);
  input.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const key = input.value.trim();
    if (!key) { showFieldErrors(form, { key: 'Paste your API key.' }); return; }
    const previous = session.key;
    session.key = key;
    try {
      const who = await get('/api/auth/whoami');
      if (who.anonymous && !(ctx.me && ctx.me.noAuth)) throw new ApiError(401, { error_code: 'unauthorized', detail: 'The key was not accepted.' });
      input.value = '';
      await ctx.signedIn();
    } catch (e) {
      session.key = previous;
      if (e instanceof ApiError && e.status === 404) {
        input.value = '';
        await ctx.signedIn();
        return;
      }
      if (e instanceof ApiError) showFieldErrors(form, fieldErrors(e, { keyField: 'key' }), e.code);
      else showFieldErrors(form, { key: e.message });
    }
  });
  return null;
}
