// The shell: who is signed in (GET /api/auth/whoami), the hash router that
// loads one page module at a time, the navigation, and the live-events
// indicator. Pages export `mount(main, ctx)` and may return an unmount function.

import { get, session, ApiError } from './api.js';
import { live } from './sse.js';
import { h, replace, toast } from './dom.js';

const PAGES = {
  dashboard: () => import('./pages/dashboard.js'),
  print: () => import('./pages/print.js'),
  jobs: () => import('./pages/jobs.js'),
  job: () => import('./pages/job.js'),
  admin: () => import('./pages/admin.js'),
  signin: () => import('./pages/signin.js'),
};

const TITLES = {
  dashboard: 'Printers', print: 'Print', jobs: 'Queue & history', job: 'Job', admin: 'Admin', signin: 'Sign in',
};

const RANK = { read: 1, print: 2, admin: 3 };

/** Who is calling: `{anonymous, name, scope, key_id?, printers?, noAuth?}` or null (must sign in). */
let me = null;
let unmount = null;
let renderToken = 0;

const ctx = {
  live,
  get me() { return me; },
  /** Whether the caller's scope reaches `scope`. */
  can(scope) { return Boolean(me) && (RANK[me.scope] || 0) >= RANK[scope]; },
  /** Why the caller cannot do something that needs `scope`, or null. */
  needs(scope) { return ctx.can(scope) ? null : `Needs an API key with the ${scope} scope.`; },
  navigate(hash) { if (location.hash === hash) render(); else location.hash = hash; },
  async signedIn() {
    await identify();
    live.restart();
    // Back to the page that asked for a key, never to the sign-in form itself.
    const to = ctx.afterSignIn && !ctx.afterSignIn.startsWith('#/signin') ? ctx.afterSignIn : '#/';
    ctx.afterSignIn = null;
    ctx.navigate(to);
  },
  afterSignIn: null,
  /** Why the page asked for is not shown (a read key asking for #/admin), for the page shown instead. */
  notice: null,
};

async function identify() {
  try {
    me = await get('/api/auth/whoami');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
      // This server has no authentication: everything is open (loopback development).
      me = { anonymous: true, name: 'anonymous', scope: 'admin', noAuth: true };
    } else if (e instanceof ApiError && e.status === 401) {
      me = null;
    } else {
      throw e;
    }
  }
  showIdentity();
}

function showIdentity() {
  const id = document.getElementById('identity');
  const out = document.getElementById('signout');
  document.getElementById('nav-admin').hidden = !ctx.can('admin');
  if (!me) {
    replace(id, h('a', { href: '#/signin' }, 'Sign in'));
    out.hidden = true;
  } else if (me.anonymous) {
    replace(id, me.noAuth ? 'No sign-in needed' : `Anonymous (${me.scope})`, ' · ', h('a', { href: '#/signin' }, 'Use a key'));
    out.hidden = !session.key;
  } else {
    replace(id, `${me.name} (${me.scope})`);
    id.title = `Key ${me.key_id || ''}`;
    out.hidden = false;
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, q = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  const query = Object.fromEntries(new URLSearchParams(q));
  if (parts.length === 0) return { page: 'dashboard', params: {}, query };
  if (parts[0] === 'jobs' && parts[1]) return { page: 'job', params: { id: parts[1] }, query };
  return { page: PAGES[parts[0]] ? parts[0] : 'dashboard', params: {}, query };
}

async function render() {
  const token = ++renderToken;
  const main = document.getElementById('main');
  let { page, params, query } = parseHash();
  if (!me && page !== 'signin') {
    ctx.afterSignIn = location.hash || '#/';
    page = 'signin';
  }
  ctx.notice = null;
  if (page === 'admin' && !ctx.can('admin')) {
    ctx.notice = `Admin needs an API key with the admin scope; ${me?.noAuth ? 'this hub' : `your key (${me?.name || 'anonymous'}) has the ${me?.scope || 'no'} scope`}. Showing the dashboard instead.`;
    page = 'dashboard';
  }
  if (unmount) { try { unmount(); } catch { /* the old page is gone either way */ } unmount = null; }
  for (const a of document.querySelectorAll('#nav a')) {
    const current = a.dataset.page === page || (page === 'job' && a.dataset.page === 'jobs');
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  document.title = `${TITLES[page]} · printhub`;
  try {
    const mod = await PAGES[page]();
    if (token !== renderToken) return;
    replace(main);
    main.dataset.page = page;
    unmount = (await mod.mount(main, { ...ctx, params, query })) || null;
    if (ctx.notice && token === renderToken) {
      main.prepend(h('p', { class: 'notice', role: 'alert', id: 'page-notice' }, ctx.notice));
    }
  } catch (e) {
    if (token !== renderToken) return;
    replace(main, h('div', { class: 'notice error', role: 'alert' }, `This page failed to load: ${e.message}`));
  }
  if (token === renderToken && document.activeElement === document.body) main.focus({ preventScroll: true });
}

function showLive(mode) {
  const el = document.getElementById('live');
  el.dataset.live = mode;
  el.textContent = {
    live: 'Live',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    polling: 'Refreshing every 3 s (no live events on this server)',
    unauthorized: 'Not live: the key was not accepted',
    signedout: 'Not live: signed out',
  }[mode] || mode;
}

async function start() {
  live.addEventListener('mode', (e) => showLive(e.detail));
  window.addEventListener('hashchange', () => { render(); document.getElementById('main').focus({ preventScroll: true }); });
  window.addEventListener('printhub:unauthorized', async () => {
    if (!me || me.noAuth) return;
    await identify();
    if (!me) {
      if (!location.hash.startsWith('#/signin')) ctx.afterSignIn = location.hash;
      ctx.navigate('#/signin');
    }
  });
  document.getElementById('signout').addEventListener('click', async () => {
    session.key = null;
    await identify();
    if (me) live.restart(); else { live.stop(); showLive('signedout'); }
    ctx.afterSignIn = null;
    ctx.navigate(me ? '#/' : '#/signin');
    toast('Signed out: the key is forgotten in this tab.');
  });
  try {
    await identify();
  } catch (e) {
    replace(document.getElementById('main'), h('div', { class: 'notice error', role: 'alert' }, `The hub cannot be reached: ${e.message}`));
    return;
  }
  if (me) live.start(); else showLive('signedout');
  await render();
}

start();
