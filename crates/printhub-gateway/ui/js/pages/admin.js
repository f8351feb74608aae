// Admin (admin scope): printers (add with model and media pickers and a
// connection test, edit, enable/disable, remove), API keys (create with a
// scope and a printer allow-list, shown once, revoke) and the audit log.
// Sections whose routes this server lacks say so instead of failing.

import { get, post, api, optional, query, describe, fieldErrors, ApiError, session } from '../api.js';
import { labelOf } from '../messages.js';
import { h, replace, field, showFieldErrors, clearFieldErrors, toast, confirmAction, keepFocus } from '../dom.js';
import { time, ago, reasonText } from '../format.js';

export async function mount(main, ctx) {
  const [models, media] = await Promise.all([get('/api/models'), get('/api/media')]);
  const mediaName = new Map(media.map((m) => [m.id, m.name]));
  const printersBox = h('section', { 'aria-labelledby': 'adm-printers' });
  const keysBox = h('section', { 'aria-labelledby': 'adm-keys' });
  const auditBox = h('section', { 'aria-labelledby': 'adm-audit' });
  replace(main, h('h1', {}, 'Admin'),
    h('nav', { class: 'tabs', 'aria-label': 'Admin sections' },
      h('a', { href: '#adm-printers-anchor', onclick: jump(printersBox) }, 'Printers'),
      h('a', { href: '#adm-keys-anchor', onclick: jump(keysBox) }, 'API keys'),
      h('a', { href: '#adm-audit-anchor', onclick: jump(auditBox) }, 'Audit log')),
    printersBox, keysBox, auditBox);

  function jump(box) {
    return (ev) => { ev.preventDefault(); box.querySelector('h2')?.focus(); box.scrollIntoView(); };
  }

  // Printers.
  let printers = [];
  const printerTable = h('div', { class: 'table-wrap scroll-region', tabindex: 0, role: 'region', 'aria-label': 'Printers table' });
  const printerFormBox = h('div');
  replace(printersBox, h('h2', { id: 'adm-printers', tabindex: -1 }, 'Printers'), printerTable, printerFormBox);
  async function loadPrinters() {
    printers = await get('/api/printers');
    keepFocus(() => replace(printerTable, h('table', { class: 'stack' },
      h('thead', {}, h('tr', {}, ['Name', 'Model', 'Media', 'Address', 'State', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, printers.map(printerRow)))));
    // The key form's allow-list offers every printer, the one just added too.
    refreshAllowList();
  }

  /** A printer's name from its id or slug (keys and the audit log name printers either way). */
  function printerName(key) {
    const p = printers.find((x) => x.id === key || x.slug === key);
    return p ? p.name : null;
  }

  // Connection test results by printer id, kept across redraws of the table.
  const tested = new Map();

  function printerRow(p) {
    const testOut = h('span', { class: 'muted', role: 'status', 'data-test-for': p.id }, tested.get(p.id) || '');
    return h('tr', { 'data-printer': p.slug },
      h('td', { 'data-label': 'Name' }, p.name, h('br'), h('small', { class: 'mono' }, p.slug)),
      h('td', { 'data-label': 'Model' }, p.model),
      h('td', { 'data-label': 'Media', 'data-media': p.media }, p.media === 'auto'
        ? `As loaded${p.layout_media ? ` (${mediaName.get(p.layout_media) || p.layout_media})` : ', not reported yet'}`
        : mediaName.get(p.media) || p.media || '—'),
      h('td', { class: 'mono', 'data-label': 'Address' }, p.address),
      h('td', { 'data-label': 'State' }, h('span', { class: `badge state-${p.state}` }, p.state), p.state_reason ? ` ${reasonText(p.state_reason)}` : ''),
      h('td', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'data-focus-id': `test-${p.id}`, onclick: () => testConnection(p) }, 'Test'),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'edit', 'data-focus-id': `edit-${p.id}`, onclick: () => editPrinter(p) }, 'Edit'),
        h('button', { type: 'button', class: 'secondary', 'data-focus-id': `toggle-${p.id}`, onclick: () => act(`/api/printers/${p.id}/${p.enabled ? 'disable' : 'enable'}`, `${p.enabled ? 'Disabled' : 'Enabled'} ${p.name}.`) }, p.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!(await confirmAction(`Remove ${p.name}? Its queue must be empty; its history stays.`, 'Remove'))) return;
          try { await api('DELETE', `/api/printers/${p.id}`); toast(`Removed ${p.name}.`); await loadPrinters(); } catch (e) { toast(`Remove failed: ${describe(e)}`, 'error', e.code); }
        } }, 'Remove'),
        testOut));
  }

  async function act(path, message) {
    try { await post(path); toast(message); loadPrinters(); } catch (e) { toast(describe(e), 'error', e.code); }
  }

  async function testConnection(p) {
    const say = (text) => {
      tested.set(p.id, text);
      const out = printerTable.querySelector(`[data-test-for="${p.id}"]`);
      if (out) out.textContent = text;
    };
    say('Testing…');
    try {
      // A printer just added may not have been read yet: give its first status read a few seconds.
      let s = await get(`/api/printers/${p.id}/status`);
      for (let i = 0; i < 10 && !s.last_seen; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        s = await get(`/api/printers/${p.id}/status`);
      }
      say(s.reachable
        ? `Reachable${s.media ? `, ${s.media} loaded` : ''}${s.ready ? ', ready' : `, not ready: ${reasonText(s.reason || s.state_reason) || s.state}`} (seen ${ago(s.last_seen)}).`
        : `Not reachable (last seen ${ago(s.last_seen)}).`);
    } catch (e) {
      say(describe(e));
    }
  }

  function editPrinter(p) {
    const form = printerForm(p);
    replace(printerFormBox, form);
    form.querySelector('input:not([disabled]), select')?.focus();
  }

  function printerForm(p) {
    const editing = Boolean(p);
    const slug = h('input', { type: 'text', value: p?.slug || '', autocomplete: 'off', disabled: editing });
    const name = h('input', { type: 'text', value: p?.name || '', autocomplete: 'off' });
    const model = h('select', {}, h('option', { value: '' }, 'Choose a model'), models.map((m) => h('option', { value: m.name, selected: m.name === p?.model }, `${m.name} (${m.family})`)));
    const mediaSel = h('select', {});
    const address = h('input', { type: 'text', value: p?.address || '', placeholder: '192.0.2.10:9100 or /dev/usb/lp0', autocomplete: 'off', list: 'usb-devices' });
    // USB printers plugged into the hub's machine, offered for the address;
    // picking one with a known model fills in the model.
    const devices = h('datalist', { id: 'usb-devices' });
    let found = [];
    get('/api/devices').then((list) => {
      found = list;
      replace(devices, list.map((d) => h('option', { value: d.path }, d.model ? `${d.model} (USB)` : 'USB printer, model unknown')));
    }).catch(() => {});
    address.addEventListener('change', () => {
      const d = found.find((x) => x.path === address.value.trim());
      if (d?.known_model && !model.value) {
        model.value = d.model;
        model.dispatchEvent(new Event('change'));
      }
    });
    const snmp = h('input', { type: 'text', placeholder: 'host:161 (optional)', autocomplete: 'off' });
    // Print defaults (issue #20): what a job gets when it does not say.
    const d = p?.defaults || {};
    const cutMode = h('select', {},
      h('option', { value: 'each', selected: (d.cut || 'each') === 'each' }, 'After each label'),
      h('option', { value: 'end', selected: d.cut === 'end' }, 'Once, after the last label'),
      h('option', { value: 'none', selected: d.cut === 'none' }, 'Never (tear off)'));
    const halfCut = h('input', { type: 'checkbox', checked: Boolean(d.half_cut) });
    const strip = h('select', {},
      h('option', { value: '', selected: d.batch_strip === undefined }, 'As the model prefers (PT: yes)'),
      h('option', { value: 'true', selected: d.batch_strip === true }, 'Yes: one strip, half cuts between labels'),
      h('option', { value: 'false', selected: d.batch_strip === false }, 'No: as single labels'));
    const maxCopies = h('input', { type: 'number', min: 1, max: 999, inputmode: 'numeric', value: d.max_copies ?? '', placeholder: '999' });
    const timeout = h('input', { type: 'number', min: 1, max: 10080, inputmode: 'numeric', value: d.queue_timeout_minutes ?? '', placeholder: 'off' });
    const defaultsBody = () => {
      const out = { cut: cutMode.value, half_cut: halfCut.checked };
      if (strip.value) out.batch_strip = strip.value === 'true';
      if (maxCopies.value !== '') out.max_copies = Number(maxCopies.value);
      if (timeout.value !== '') out.queue_timeout_minutes = Number(timeout.value);
      return out;
    };
    const community = h('input', { type: 'password', autocomplete: 'new-password', placeholder: 'write-only' });
    const fillMedia = () => {
      const m = models.find((x) => x.name === model.value);
      replace(mediaSel, h('option', { value: editing ? '' : 'auto', selected: !editing }, editing ? 'Choose the media' : 'As loaded (the printer reports it)'),
        editing ? h('option', { value: 'auto', selected: p.media === 'auto' }, 'As loaded (the printer reports it)') : null,
        (m ? m.media : []).map((id) => h('option', { value: id, selected: id === p?.media }, `${mediaName.get(id) || id} (${id})`)));
    };
    model.addEventListener('change', fillMedia);
    fillMedia();
    const result = h('p', { class: 'muted', role: 'status' });
    // Test connection: ask the printer which model it is and what it holds,
    // and fill the form with it (GET /api/printers/probe registers nothing).
    const probeButton = h('button', {
      type: 'button', class: 'secondary', 'data-action': 'probe',
      onclick: async () => {
        clearFieldErrors(form);
        if (!address.value.trim()) {
          showFieldErrors(form, { address: 'Fill in the address first.' }, 'invalid_request', (n) => labelOf(n));
          return;
        }
        const q = new URLSearchParams({ address: address.value.trim() });
        if (snmp.value.trim()) q.set('snmp', snmp.value.trim());
        if (community.value) q.set('snmp_community', community.value);
        result.textContent = 'Asking the printer…';
        try {
          const found = await get(`/api/printers/probe?${q}`);
          model.value = found.model;
          fillMedia();
          mediaSel.value = 'auto';
          if (!slug.value.trim()) slug.value = found.slug;
          if (found.snmp && !snmp.value.trim()) snmp.value = found.snmp;
          const loaded = found.media ? `${mediaName.get(found.media) || found.media} loaded` : 'no media loaded';
          result.textContent = `Found a ${found.model} with ${loaded} (over ${found.source === 'snmp' ? 'SNMP' : 'TCP'}).`;
          result.dataset.found = found.model;
        } catch (e) {
          result.textContent = '';
          if (!(e instanceof ApiError)) throw e;
          showFieldErrors(form, fieldErrors(e), e.code, (n) => labelOf(n));
        }
      },
    }, 'Test connection');
    const form = h('form', { novalidate: true, class: 'printer-form card' },
      h('h3', {}, editing ? `Edit ${p.name}` : 'Add a printer'),
      field('Slug', slug, { name: 'slug', hint: editing ? 'The slug cannot change.' : 'Short name used in URLs, e.g. pt-office; blank: made from the model.' }),
      field('Name', name, { name: 'name' }),
      field('Model', model, { name: 'model', hint: editing ? null : 'Blank: the hub asks the printer (or press Test connection).' }),
      field('Media', mediaSel, { name: 'media', hint: 'The tape or roll it is set up for; jobs are laid out for it.' }),
      field('Address', address, { name: 'address', hint: 'host:port of its raw TCP port (9100), or the device of a USB printer (/dev/usb/lp0).' }),
      devices,
      editing ? null : field('SNMP address', snmp, { name: 'snmp' }),
      editing ? null : field('SNMP community', community, { name: 'snmp_community', hint: 'Stored, never shown again.' }),
      h('fieldset', { class: 'defaults', 'data-field': 'defaults' },
        h('legend', {}, 'Print defaults (when a job does not say)'),
        field('Cut', cutMode, { name: 'defaults_cut' }),
        h('div', { class: 'field check' }, h('label', {}, halfCut, ' Half cut between labels (models with a half cutter)')),
        field('Batches as one strip', strip, { name: 'defaults_batch_strip' }),
        field('Most copies per job', maxCopies, { name: 'defaults_max_copies', hint: 'Blank: 999.' }),
        field('Queue timeout (minutes)', timeout, { name: 'defaults_queue_timeout', hint: 'Jobs waiting longer fail with queue_timeout. Blank: no timeout.' }),
        h('small', { class: 'error', 'data-error-for': 'defaults' })),
      h('p', { class: 'error', 'data-error-for': '_form', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, editing ? 'Save' : 'Add and test'),
        editing ? null : probeButton,
        editing ? h('button', { type: 'button', class: 'secondary', onclick: () => replace(printerFormBox, printerForm(null)) }, 'Cancel') : null),
      result);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearFieldErrors(form);
      try {
        if (editing) {
          const body = {};
          if (name.value.trim() !== p.name) body.name = name.value.trim();
          if (model.value !== p.model) body.model = model.value;
          if (mediaSel.value !== p.media) body.media = mediaSel.value;
          if (address.value.trim() !== p.address) body.address = address.value.trim();
          const defaults = defaultsBody();
          if (JSON.stringify(defaults) !== JSON.stringify(p.defaults || {})) body.defaults = defaults;
          await api('PATCH', `/api/printers/${p.id}`, body);
          toast(`Saved ${p.name}.`);
          await loadPrinters();
          replace(printerFormBox, printerForm(null));
        } else {
          // Blank slug, model or media: the hub asks the printer (issue #20).
          const body = { address: address.value.trim() };
          if (slug.value.trim()) body.slug = slug.value.trim();
          if (model.value) body.model = model.value;
          if (mediaSel.value) body.media = mediaSel.value;
          if (name.value.trim()) body.name = name.value.trim();
          if (snmp.value.trim()) body.snmp = snmp.value.trim();
          if (community.value) body.snmp_community = community.value;
          body.defaults = defaultsBody();
          const created = await post('/api/printers', body);
          community.value = '';
          await loadPrinters();
          replace(printerFormBox, printerForm(null));
          testConnection(created);
          toast(`Added ${created.name}; testing the connection.`);
          loadAudit(0);
        }
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        showFieldErrors(form, fieldErrors(e), e.code, (n) => labelOf(n));
      }
    });
    return form;
  }

  // API keys.
  let keyById = new Map();
  async function loadKeys() {
    let keys;
    try {
      keys = await optional('/api/admin/keys');
      keyById = new Map((keys || []).map((k) => [k.id, k]));
    } catch (e) {
      replace(keysBox, h('h2', { id: 'adm-keys', tabindex: -1 }, 'API keys'), h('p', { class: 'notice error' }, describe(e)));
      return;
    }
    if (keys === null) {
      replace(keysBox, h('h2', { id: 'adm-keys', tabindex: -1 }, 'API keys'), h('p', { class: 'muted' }, 'This server has no API keys (authentication is not enabled).'));
      return;
    }
    const reveal = h('div', { id: 'new-key', 'aria-live': 'polite' });
    replace(keysBox,
      h('h2', { id: 'adm-keys', tabindex: -1 }, 'API keys'),
      h('div', { class: 'table-wrap scroll-region', tabindex: 0, role: 'region', 'aria-label': 'API keys table' }, h('table', { class: 'stack' },
        h('thead', {}, h('tr', {}, ['Name', 'Key id', 'Scope', 'Printers', 'Created', 'Last used', 'Expires', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, keys.map((k) => h('tr', { class: k.revoked_at ? 'revoked' : '', 'data-key': k.id },
          h('td', { 'data-label': 'Name' }, k.name, k.id === ctx.me?.key_id ? h('small', { class: 'muted' }, ' (you)') : null),
          h('td', { class: 'mono', 'data-label': 'Key id' }, k.id),
          h('td', { 'data-label': 'Scope' }, k.scope),
          h('td', { 'data-label': 'Printers', 'data-printers': '' }, k.printers?.length ? k.printers.map((x) => printerName(x) || `${x} (removed)`).join(', ') : 'all'),
          h('td', { 'data-label': 'Created' }, time(k.created_at)),
          h('td', { 'data-label': 'Last used' }, k.last_used_at ? ago(k.last_used_at) : 'never'),
          h('td', { 'data-label': 'Expires' }, k.revoked_at ? `revoked ${time(k.revoked_at)}` : (k.expires_at ? time(k.expires_at) : 'never')),
          h('td', { class: 'actions' }, k.revoked_at ? '' : h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', onclick: () => revoke(k) }, 'Revoke'))))))),
      keyForm(reveal), reveal);
  }

  /** Revokes `k` after asking; revoking the key this tab is signed in with says so first, then signs out. */
  async function revoke(k) {
    const own = Boolean(ctx.me?.key_id) && k.id === ctx.me.key_id;
    const question = own
      ? `"${k.name}" is the key you are signed in with. Revoke it? You will be signed out of this tab at once and need another key to sign in.`
      : `Revoke the key "${k.name}"? Anything using it stops working at once.`;
    if (!(await confirmAction(question, own ? 'Revoke and sign out' : 'Revoke'))) return;
    try {
      await api('DELETE', `/api/admin/keys/${k.id}`);
    } catch (e) {
      toast(describe(e), 'error', e.code);
      return;
    }
    if (own) {
      session.key = null;
      toast(`Revoked ${k.name}; you are signed out.`);
      window.dispatchEvent(new CustomEvent('printhub:unauthorized'));
      return;
    }
    toast(`Revoked ${k.name}.`);
    loadKeys();
    loadAudit(0);
  }

  /** The allow-list of the key form, rebuilt from the current printers (ticks kept). */
  function allowList() {
    const ticked = new Set([...keysBox.querySelectorAll('fieldset.allow input:checked')].map((c) => c.value));
    return h('fieldset', { class: 'allow' }, h('legend', {}, 'Printers (none ticked: all)'),
      printers.map((p) => h('div', { class: 'check' },
        h('input', { type: 'checkbox', id: `allow-${p.id}`, value: p.slug, name: 'printers', checked: ticked.has(p.slug) }),
        h('label', { for: `allow-${p.id}` }, p.name))));
  }

  function refreshAllowList() {
    const old = keysBox.querySelector('fieldset.allow');
    if (old) old.replaceWith(allowList());
  }

  function keyForm(reveal) {
    const name = h('input', { type: 'text', autocomplete: 'off' });
    const scope = h('select', {}, ['read', 'print', 'admin'].map((s) => h('option', { value: s, selected: s === 'print' }, s)));
    const allow = allowList();
    const expires = h('input', { type: 'datetime-local' });
    const rate = h('input', { type: 'number', min: 1, inputmode: 'numeric', placeholder: 'default' });
    const form = h('form', { novalidate: true, class: 'card' },
      h('h3', {}, 'Create a key'),
      field('Name', name, { name: 'name', hint: 'Who or what uses it, e.g. "grocy" or "front desk tablet".' }),
      field('Scope', scope, { name: 'scope', hint: 'read: look; print: print and steer queues; admin: everything.' }),
      allow, h('small', { class: 'error', 'data-error-for': 'printers' }),
      field('Expires', expires, { name: 'expires_at', hint: 'Optional.' }),
      field('Requests per minute', rate, { name: 'rate_limit_per_minute', hint: 'Optional.' }),
      h('p', { class: 'error', 'data-error-for': '_form', role: 'alert' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create key')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearFieldErrors(form);
      const body = { name: name.value.trim(), scope: scope.value };
      const ticked = [...form.querySelectorAll('fieldset.allow input:checked')].map((c) => c.value);
      if (ticked.length) body.printers = ticked;
      if (expires.value) body.expires_at = new Date(expires.value).toISOString();
      if (rate.value) body.rate_limit_per_minute = Number(rate.value);
      try {
        const created = await post('/api/admin/keys', body);
        await loadKeys();
        showOnce(keysBox.querySelector('#new-key'), created);
        loadAudit(0);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        showFieldErrors(form, fieldErrors(e), e.code, (n) => labelOf(n));
      }
    });
    return form;
  }

  /** The new key's secret, once: not stored anywhere, gone when dismissed or the page changes. */
  function showOnce(box, created) {
    const secret = h('input', { type: 'text', readonly: true, value: created.key, class: 'mono', 'aria-label': 'The new key' });
    replace(box, h('div', { class: 'notice', role: 'alert' },
      h('p', {}, h('strong', {}, `Key "${created.name}" created. Copy it now: it is shown only this once.`)),
      secret,
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: async () => {
          try { await navigator.clipboard.writeText(secret.value); toast('Copied.'); } catch { secret.select(); toast('Select and copy the key.'); }
        } }, 'Copy'),
        h('button', { type: 'button', class: 'secondary', onclick: () => replace(box) }, 'Done'))));
    secret.focus();
    secret.select();
  }

  // Audit log.
  const AUDIT_PAGE = 25;
  async function loadAudit(offset) {
    let page;
    try {
      page = await optional(`/api/admin/audit${query({ limit: AUDIT_PAGE, offset })}`);
    } catch (e) {
      replace(auditBox, h('h2', { id: 'adm-audit', tabindex: -1 }, 'Audit log'), h('p', { class: 'notice error' }, describe(e)));
      return;
    }
    if (page === null) {
      replace(auditBox, h('h2', { id: 'adm-audit', tabindex: -1 }, 'Audit log'), h('p', { class: 'muted' }, 'This server keeps no audit log yet.'));
      return;
    }
    replace(auditBox,
      h('h2', { id: 'adm-audit', tabindex: -1 }, 'Audit log'),
      h('div', { class: 'table-wrap scroll-region', tabindex: 0, role: 'region', 'aria-label': 'Audit log entries' }, h('table', { class: 'stack' },
        h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'Target', 'Detail'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, page.items.map((a) => h('tr', { 'data-audit': a.action },
          h('td', { 'data-label': 'When' }, time(a.at)), h('td', { 'data-label': 'Who' }, a.actor),
          h('td', { 'data-label': 'Action' }, a.action.replaceAll('_', ' ').replaceAll('.', ': ')),
          h('td', { 'data-label': 'Target', 'data-target': a.target || '' }, targetName(a.target)),
          h('td', { 'data-label': 'Detail', 'data-detail': '' }, detailText(a.detail))))))),
      h('nav', { class: 'pager', 'aria-label': 'Audit pages' },
        h('button', { type: 'button', class: 'secondary', disabled: offset === 0, onclick: () => loadAudit(Math.max(0, offset - AUDIT_PAGE)) }, '← Newer'),
        h('span', {}, `${page.total ? offset + 1 : 0}–${offset + page.items.length} of ${page.total}`),
        h('button', { type: 'button', class: 'secondary', disabled: offset + AUDIT_PAGE >= page.total, onclick: () => loadAudit(offset + AUDIT_PAGE) }, 'Older →')));
  }

  /** An audit target as a person reads it: a printer's or key's name, else the id. */
  function targetName(target) {
    if (!target) return '—';
    const key = keyById.get(target);
    if (key) return `key "${key.name}"`;
    const printer = printerName(target);
    return printer ? `printer ${printer}` : target;
  }

  /** An audit detail as "field: value" sentences (ids named), never raw JSON. */
  function detailText(detail) {
    if (detail === null || detail === undefined || detail === '') return '—';
    if (typeof detail !== 'object') return String(detail);
    const value = (v) => {
      if (v === null || v === undefined) return 'none';
      if (Array.isArray(v)) return v.length ? v.map(value).join(', ') : 'none';
      if (typeof v === 'object') return detailText(v);
      if (typeof v === 'string') return printerName(v) || (keyById.get(v)?.name) || v;
      return String(v);
    };
    return Object.entries(detail).map(([k, v]) => `${k.replaceAll('_', ' ')}: ${value(v)}`).join('; ');
  }

  await loadPrinters();
  replace(printerFormBox, printerForm(null));
  // Keys first: the audit log names keys by their names.
  await loadKeys();
  await loadAudit(0);
  const onState = (e) => { if (e.detail.type === 'printer.state_changed') loadPrinters(); };
  ctx.live.addEventListener('printhub-event', onState);
  return () => ctx.live.removeEventListener('printhub-event', onState);
}
