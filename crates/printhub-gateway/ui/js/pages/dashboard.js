// Dashboard: every printer with its true state (stopped with the reason,
// offline since when — `offline_since`, not when it last answered —,
// disabled), the media it reports against the media it is set up for, its
// queue depth and the job printing now, what a printer stopped for its
// medium waits for (with hold, cancel or follow-the-loaded-media), and
// pause, resume and clear with
// confirmation. Kept current by live events (no reload).

import { get, post, api, describe } from '../api.js';
import { h, replace, toast, confirmAction, keepFocus } from '../dom.js';
import { reasonText, ago, time, shortId, layoutOf } from '../format.js';

const QUEUED = new Set(['queued', 'held']);

export async function mount(main, ctx) {
  const media = await get('/api/media').catch(() => []);
  const mediaName = (id) => media.find((m) => m.id === id)?.name || id;
  const printers = new Map(); // id → PrinterView
  const printing = new Map(); // printer id → JobView printing now
  const grid = h('div', { class: 'cards', id: 'printers' });
  const status = h('p', { class: 'muted', role: 'status' });
  replace(main,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Printers'),
      h('button', { type: 'button', class: 'secondary', onclick: () => load() }, 'Refresh')),
    status, grid);

  async function load() {
    try {
      const [list, jobs] = await Promise.all([
        get('/api/printers'),
        get('/api/jobs?state=printing&limit=500'),
      ]);
      printers.clear();
      printing.clear();
      for (const p of list) printers.set(p.id, p);
      for (const j of jobs.jobs) printing.set(j.printer_id, j);
      status.textContent = list.length ? '' : 'No printers yet.';
      keepFocus(() => replace(grid, ...list.map(card)));
    } catch (e) {
      status.textContent = `Cannot load printers: ${describe(e)}`;
    }
  }

  const pending = new Map();
  function refetch(id) {
    clearTimeout(pending.get(id));
    pending.set(id, setTimeout(async () => {
      pending.delete(id);
      try {
        const fresh = await get(`/api/printers/${id}`);
        printers.set(id, fresh);
        update(id);
      } catch { /* the next event or refresh corrects it */ }
    }, 200));
  }

  function update(id) {
    const p = printers.get(id);
    if (!p) return;
    const old = grid.querySelector(`[data-printer-id="${id}"]`);
    keepFocus(() => { if (old) old.replaceWith(card(p)); else grid.append(card(p)); });
  }

  /** Whether the hub has not read the printer's status yet (its state is a guess until then). */
  const unchecked = (p) => p.enabled && !p.last_seen && !p.offline_since && ['idle', 'printing'].includes(p.state);

  function card(p) {
    const job = printing.get(p.id);
    const loaded = p.status?.media;
    const auto = p.media === 'auto';
    const mismatch = loaded && p.media && !auto && loaded !== p.media;
    const headingId = `printer-${p.id}`;
    const checking = unchecked(p);
    return h('article', { class: `card printer state-${p.state}`, 'data-printer': p.slug, 'data-printer-id': p.id, 'aria-labelledby': headingId },
      h('div', { class: 'card-head' },
        h('h2', { id: headingId }, p.name),
        h('span', { class: `badge state-${checking ? 'checking' : p.state}`, 'data-state': p.state, 'data-checking': checking ? 'true' : null },
          checking ? 'checking…' : p.state)),
      stateLine(p),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Model'), h('dd', {}, p.model),
        h('dt', {}, 'Media'), h('dd', { 'data-media': loaded || '' },
          loaded ? mediaName(loaded) : (p.status?.reachable ? 'not reported' : (checking ? 'checking…' : 'unknown')),
          mismatch ? h('span', { class: 'warn' }, ` — set up for ${mediaName(p.media)}`)
            : auto ? h('span', { class: 'muted', 'data-auto': 'true' }, loaded ? ' (follows what is loaded)' : ` (follows what is loaded${p.layout_media ? `; last ${mediaName(p.layout_media)}` : ''})`)
            : (loaded ? '' : ` (set up for ${p.media ? mediaName(p.media) : '—'})`)),
        h('dt', {}, 'Queue'), h('dd', { 'data-queue': p.queue_depth }, `${p.queue_depth} job${p.queue_depth === 1 ? '' : 's'} waiting`),
        h('dt', {}, 'Printing'), h('dd', { 'data-current': job ? job.id : '' },
          job ? [h('a', { href: `#/jobs/${job.id}` }, `${layoutOf(job)} ${shortId(job.id)}`), ` — copy ${Math.min(job.copies_printed + 1, job.copies)} of ${job.copies}`] : 'nothing'),
        h('dt', {}, 'Last seen'), h('dd', {}, p.last_seen
          ? h('time', { datetime: p.last_seen, 'data-last-seen': p.last_seen, title: time(p.last_seen) }, ago(p.last_seen))
          : (checking ? 'checking…' : 'never'))),
      actions(p));
  }

  function stateLine(p) {
    let text = '';
    if (unchecked(p)) text = 'Checking: the hub has not read this printer\'s status yet.';
    else if (p.state === 'stopped' && p.waiting_for) return waitingLine(p, p.waiting_for);
    else if (p.state === 'stopped') text = `Stopped: ${reasonText(p.state_reason)}. Jobs wait; it resumes when the problem is fixed.`;
    else if (p.state === 'offline') text = `Offline since ${p.offline_since ? time(p.offline_since) : 'an unknown time'}: jobs wait until it answers.`;
    else if (p.state === 'paused') text = 'Paused: nothing prints until resumed.';
    else if (p.state === 'disabled') text = 'Disabled: it takes no jobs.';
    return h('p', { class: 'state-line', 'data-reason': p.state_reason || '', 'data-offline-since': p.state === 'offline' ? (p.offline_since || '') : null }, text);
  }

  /** A printer stopped for its medium: what the next job needs, what is loaded, and what resolves it. */
  function waitingLine(p, w) {
    const loaded = w.loaded_media ? `${mediaName(w.loaded_media)} is loaded` : 'the printer does not say what is loaded';
    const does = [];
    const job = w.job_id;
    if (job && w.actions.includes('hold') && ctx.can('print')) {
      does.push(h('button', { type: 'button', class: 'secondary', 'data-action': 'hold-waiting', onclick: () => jobCommand(job, 'hold', p) }, 'Hold that job'));
    }
    if (job && w.actions.includes('cancel') && ctx.can('print')) {
      does.push(h('button', { type: 'button', class: 'danger', 'data-action': 'cancel-waiting', onclick: () => jobCommand(job, 'cancel', p) }, 'Cancel that job'));
    }
    if (w.actions.includes('relayout') && ctx.can('admin')) {
      does.push(h('button', {
        type: 'button', class: 'secondary', 'data-action': 'follow-media',
        onclick: async () => {
          if (!(await confirmAction(`Set ${p.name} to follow the loaded media? Waiting labels made from label data are laid out again for it; the others are held.`, 'Follow loaded media'))) return;
          try {
            printers.set(p.id, await api('PATCH', `/api/printers/${p.id}`, { media: 'auto' }));
            update(p.id);
          } catch (e) { toast(`Could not change ${p.name}: ${describe(e)}`, 'error', e.code); }
        },
      }, 'Follow loaded media'));
    }
    return h('div', { class: 'state-line', 'data-reason': p.state_reason || '', 'data-waiting-for': w.needed_media },
      h('p', {}, `Stopped: ${reasonText(p.state_reason)}. `,
        job ? h('a', { href: `#/jobs/${job}` }, 'The next job') : 'The next job',
        ` needs ${mediaName(w.needed_media)}; ${loaded}. Load ${mediaName(w.needed_media)} and printing goes on by itself.`),
      does.length ? h('div', { class: 'actions' }, does) : null);
  }

  async function jobCommand(id, name, p) {
    try {
      await post(`/api/jobs/${id}/${name}`);
      toast(`Job ${shortId(id)}: ${name === 'hold' ? 'held' : 'cancelled'}; ${p.name} goes on with the rest.`);
      refetch(p.id);
    } catch (e) { toast(`${name === 'hold' ? 'Hold' : 'Cancel'} failed: ${describe(e)}`, 'error', e.code); }
  }

  function actions(p) {
    const block = ctx.needs('print');
    const canResume = ['paused', 'stopped', 'offline'].includes(p.state);
    const buttons = [];
    if (p.state !== 'disabled') {
      buttons.push(canResume
        ? (p.state === 'offline'
          ? action(p, 'resume', 'Retry connection', block, `Try to reach ${p.name} again now? Queued jobs print once it answers; until then they wait.`)
          : action(p, 'resume', 'Resume', block, p.state === 'stopped'
            ? `Resume ${p.name}? It checks the printer again; jobs print once the problem is fixed.`
            : `Resume ${p.name}? Queued jobs start printing.`))
        : action(p, 'pause', 'Pause', block, `Pause ${p.name}? A label already printing finishes first.`));
    }
    buttons.push(action(p, 'clear', 'Clear queue', block || (p.queue_depth === 0 ? 'The queue is empty.' : null),
      `Cancel all ${p.queue_depth} queued and held jobs on ${p.name}?`));
    if (p.state !== 'disabled' && ctx.can('print')) buttons.push(h('a', { class: 'button secondary', href: `#/print?printer=${encodeURIComponent(p.slug)}` }, 'Print…'));
    if (p.state === 'disabled' && ctx.can('admin')) buttons.push(h('a', { class: 'button secondary', href: '#/admin' }, 'Enable in Admin'));
    return h('div', { class: 'actions' }, buttons);
  }

  function action(p, name, label, blocked, question) {
    const reasonId = `why-${name}-${p.id}`;
    return h('span', { class: 'action' },
      h('button', {
        type: 'button', 'data-action': name, 'data-focus-id': `${name}-${p.id}`, 'aria-disabled': blocked ? 'true' : null,
        'aria-describedby': blocked ? reasonId : null,
        onclick: async () => {
          if (blocked) { toast(blocked); return; }
          if (!(await confirmAction(question, label))) return;
          const path = name === 'clear' ? `/api/printers/${p.id}/queue/clear` : `/api/printers/${p.id}/${name}`;
          try {
            const answer = await post(path);
            if (name === 'clear') {
              toast(`Cancelled ${answer.cancelled} job${answer.cancelled === 1 ? '' : 's'} on ${p.name}.`);
              p.queue_depth = Math.max(0, p.queue_depth - answer.cancelled);
            } else {
              printers.set(p.id, answer);
            }
            update(p.id);
          } catch (e) {
            toast(`${label} failed: ${describe(e)}`, 'error', e.code);
          }
        },
      }, label),
      blocked ? h('small', { id: reasonId, class: 'why', role: 'tooltip' }, blocked) : null);
  }

  function onEvent(e) {
    const { type, data } = e.detail;
    const p = printers.get(data.printer_id);
    if (type === 'printer.state_changed' && data.printer) {
      printers.set(data.printer.id, data.printer);
      update(data.printer.id);
    } else if (type === 'printer.status_changed' && p) {
      p.status = data.status;
      p.state = data.status.state;
      p.state_reason = data.status.state_reason;
      p.offline_since = data.status.offline_since;
      p.last_seen = data.status.last_seen || p.last_seen;
      update(p.id);
    } else if (type === 'printer.media_changed' && p) {
      p.status = { ...p.status, media: data.to };
      update(p.id);
    } else if (type === 'job.state_changed' && p) {
      if (data.to === 'printing') printing.set(p.id, data.job);
      else if (printing.get(p.id)?.id === data.job_id) printing.delete(p.id);
      update(p.id);
      // Queue depth is the engine's count: a job entering or leaving the queue refetches it.
      if (QUEUED.has(data.to) || QUEUED.has(data.from)) refetch(p.id);
    } else if (type === 'job.progressed' && p) {
      const job = printing.get(p.id);
      if (job && job.id === data.job_id) {
        job.copies_printed = data.copies_printed;
        update(p.id);
      }
    } else if (!p && data.printer_id && type.startsWith('printer.')) {
      load();
    }
  }

  const onRefresh = () => load();
  ctx.live.addEventListener('printhub-event', onEvent);
  ctx.live.addEventListener('refresh', onRefresh);
  await load();
  // "Last seen" is read again as the hub keeps probing (a probe that changes
  // nothing sends no event), and its words ("2 min ago") follow the clock.
  const tick = setInterval(() => {
    for (const t of grid.querySelectorAll('[data-last-seen]')) t.textContent = ago(t.dataset.lastSeen);
  }, 5000);
  const reread = setInterval(async () => {
    if (document.hidden) return;
    try {
      for (const fresh of await get('/api/printers')) {
        const old = printers.get(fresh.id);
        if (old && (old.last_seen !== fresh.last_seen || old.state !== fresh.state)) { printers.set(fresh.id, fresh); update(fresh.id); }
      }
    } catch { /* the next one or an event corrects it */ }
  }, 15000);
  return () => {
    clearInterval(tick);
    clearInterval(reread);
    for (const t of pending.values()) clearTimeout(t);
    ctx.live.removeEventListener('printhub-event', onEvent);
    ctx.live.removeEventListener('refresh', onRefresh);
  };
}
