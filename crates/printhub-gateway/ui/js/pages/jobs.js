// Queue and history: jobs newest first, filtered by state, printer and batch
// (kept in the address, so a filtered view can be bookmarked), a page at a
// time; per job cancel, hold, release and retry, each saying why when it is
// unavailable; a completed job the printer did not confirm says "sent, not
// confirmed". Rows change in place as events arrive.

import { get, query, describe, authHeaders } from '../api.js';
import { h, replace, field, keepFocus, labelView } from '../dom.js';
import { JOB_STATES, TERMINAL, time, shortId, layoutOf, unconfirmed } from '../format.js';
import { jobActions } from './job.js';

const PAGE = 20;

export async function mount(main, ctx) {
  const printers = await get('/api/printers');
  const byId = new Map(printers.map((p) => [p.id, p]));
  const f = {
    state: ctx.query.state || '',
    printer: ctx.query.printer || '',
    batch: ctx.query.batch || '',
    offset: Number(ctx.query.offset || 0),
  };
  const stateSel = h('select', {}, h('option', { value: '' }, 'Any state'), JOB_STATES.map((s) => h('option', { value: s, selected: s === f.state }, s)));
  const printerSel = h('select', {}, h('option', { value: '' }, 'Any printer'), printers.map((p) => h('option', { value: p.id, selected: p.id === f.printer || p.slug === f.printer }, p.name)));
  const batchInput = h('input', { type: 'text', value: f.batch, placeholder: 'batch id', autocomplete: 'off', spellcheck: 'false' });
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    field('State', stateSel, { name: 'state' }),
    field('Printer', printerSel, { name: 'printer' }),
    field('Batch', batchInput, { name: 'batch' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply')));
  const list = h('div', { id: 'jobs', class: 'job-list' });
  const status = h('p', { class: 'muted', role: 'status' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  replace(main, h('h1', {}, 'Queue & history'), filters, status, list, pager);

  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go({ state: stateSel.value, printer: printerSel.value, batch: batchInput.value.trim(), offset: 0 });
  });
  function go(next) {
    ctx.navigate(`#/jobs${query({ ...f, ...next, offset: next.offset || undefined })}`);
  }

  let jobs = [];
  let total = 0;
  async function load() {
    try {
      const answer = await get(`/api/jobs${query({ state: f.state, printer: f.printer, batch: f.batch, limit: PAGE, offset: f.offset })}`);
      jobs = answer.jobs;
      total = answer.total;
      draw(f.offset + answer.jobs.length < total);
    } catch (e) {
      status.textContent = `Cannot load jobs: ${describe(e)}`;
      replace(list);
    }
  }

  function draw(more) {
    status.textContent = jobs.length ? `Jobs ${f.offset + 1}–${f.offset + jobs.length} of ${total}, newest first.` : 'No jobs match.';
    keepFocus(() => replace(list, jobs.map(row)));
    const prevBlock = f.offset === 0 ? 'This is the first page.' : null;
    const nextBlock = more ? null : 'There are no older jobs.';
    replace(pager,
      h('button', { type: 'button', class: 'secondary', 'aria-disabled': prevBlock ? 'true' : null, title: prevBlock, onclick: () => !prevBlock && go({ offset: Math.max(0, f.offset - PAGE) }) }, '← Newer'),
      h('button', { type: 'button', class: 'secondary', 'aria-disabled': nextBlock ? 'true' : null, title: nextBlock, onclick: () => !nextBlock && go({ offset: f.offset + PAGE }) }, 'Older →'));
  }

  // Thumbnails of the stored labels (GET /api/jobs/{id}/preview), fetched once per job.
  const thumbs = new Map(); // job id → Promise<blob URL | null>
  function thumbnail(job) {
    const img = h('img', { class: 'thumb', alt: `Label of job ${shortId(job.id)}`, 'data-thumb': job.id, hidden: true });
    if (!thumbs.has(job.id)) {
      thumbs.set(job.id, fetch(`/api/jobs/${job.id}/preview`, { headers: authHeaders() })
        .then((res) => (res.ok ? res.blob() : null))
        .then((blob) => (blob ? URL.createObjectURL(blob) : null))
        .catch(() => null));
    }
    const slot = h('span', { class: 'thumb-slot', 'data-thumb-for': job.id }, img);
    thumbs.get(job.id).then((url) => {
      if (!url) return;
      img.onload = () => {
        // Turned to read as printed, like every preview.
        const view = labelView(img, img.alt);
        view.className = 'thumb';
        view.style.maxWidth = '';
        view.dataset.thumb = job.id;
        slot.replaceChildren(img, view);
      };
      img.src = url;
    });
    return slot;
  }

  function row(job) {
    const p = byId.get(job.printer_id);
    return h('article', { class: `job card state-${job.state}`, 'data-job': job.id, 'aria-label': `Job ${shortId(job.id)}` },
      h('div', { class: 'job-row' }, thumbnail(job), h('div', {},
      h('div', { class: 'card-head' },
        h('h2', {}, h('a', { href: `#/jobs/${job.id}`, 'data-title': job.title ? 'true' : 'false' }, job.title || `${layoutOf(job)} · ${shortId(job.id)}`)),
        h('span', { class: `badge state-${job.state}`, 'data-state': job.state }, job.state)),
      h('p', { class: 'meta' },
        `${job.title ? `${layoutOf(job)} · ${shortId(job.id)} · ` : ''}${p ? p.name : shortId(job.printer_id)} · ${time(job.created_at)} · ${job.copies_printed}/${job.copies} printed`,
        unconfirmed(job) ? [' · ', h('span', { class: 'warn', 'data-confirmed': 'false', title: 'The printer did not report printing it.' }, 'sent, not confirmed')] : '',
        job.batch_id ? [' · ', h('a', { href: `#/jobs?batch=${job.batch_id}` }, `batch ${shortId(job.batch_id)}`)] : '',
        job.error_code ? [' · ', h('span', { class: 'warn' }, `${job.error_code}: ${job.error_message || ''}`)] : ''),
      jobActions(job, ctx, (fresh) => {
        if (fresh.id !== job.id) { load(); return; }
        replaceJob(fresh);
      }))));
  }

  function replaceJob(fresh) {
    const i = jobs.findIndex((j) => j.id === fresh.id);
    if (i < 0) return;
    jobs[i] = fresh;
    const old = list.querySelector(`[data-job="${fresh.id}"]`);
    keepFocus(() => old?.replaceWith(row(fresh)));
  }

  function matches(job) {
    const p = byId.get(job.printer_id);
    return (!f.state || job.state === f.state) &&
      (!f.printer || job.printer_id === f.printer || p?.slug === f.printer) &&
      (!f.batch || job.batch_id === f.batch);
  }

  function onEvent(e) {
    const { type, data } = e.detail;
    if (type === 'job.state_changed') {
      if (jobs.some((j) => j.id === data.job_id)) {
        if (matches(data.job)) replaceJob(data.job); else load();
      } else if (data.from === null && f.offset === 0 && matches(data.job)) {
        jobs.unshift(data.job);
        if (jobs.length > PAGE) jobs.pop();
        draw(jobs.length === PAGE);
      }
    } else if (type === 'job.progressed') {
      const job = jobs.find((j) => j.id === data.job_id);
      if (job && !TERMINAL.has(job.state)) replaceJob({ ...job, copies_printed: data.copies_printed });
    }
  }
  ctx.live.addEventListener('printhub-event', onEvent);
  ctx.live.addEventListener('refresh', load);
  await load();
  return () => {
    ctx.live.removeEventListener('printhub-event', onEvent);
    ctx.live.removeEventListener('refresh', load);
    for (const t of thumbs.values()) t.then((url) => url && URL.revokeObjectURL(url));
  };
}
