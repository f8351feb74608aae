// One job: what it is (a completed job the printer did not confirm says
// "sent, not confirmed"), its preview (the stored raster, where the server
// offers GET /api/jobs/{id}/preview), its timeline (timestamps, then live
// events), and the cancel/hold/release/retry/print-again buttons shared with the queue.

import { get, post, describe, authHeaders } from '../api.js';
import { h, replace, toast, confirmAction, labelView, keepFocus } from '../dom.js';
import { jobActionBlock, time, shortId, layoutOf, TERMINAL, unconfirmed } from '../format.js';

const ACTIONS = [
  ['cancel', 'Cancel', 'Cancel this job?'],
  ['hold', 'Hold', null],
  ['release', 'Release', null],
  ['retry', 'Retry', 'Print this job again as a new job?'],
  ['reprint', 'Print again', null],
];

/** Which actions apply to a job in `state` (the others are not offered at all). */
const APPLIES = {
  queued: ['cancel', 'hold'],
  held: ['release', 'cancel'],
  printing: ['cancel'],
  failed: ['retry', 'reprint'],
  interrupted: ['retry', 'reprint'],
  cancelled: ['retry', 'reprint'],
  completed: ['reprint'],
};

/**
 * The action buttons that apply to a job; `changed(job)` gets the answer (a
 * retry or a reprint answers the new job). One that applies but cannot run now (the last
 * copy printing, a key without the print scope) is shown disabled, its reason
 * in a tooltip that covers nothing the pointer aims at and moves no layout.
 */
export function jobActions(job, ctx, changed) {
  const offered = APPLIES[job.state] || [];
  return h('div', { class: 'actions', 'data-actions-for': job.state }, ACTIONS.filter(([name]) => offered.includes(name)).map(([name, label, question]) => {
    const blocked = ctx.needs('print') || jobActionBlock(job, name);
    const reasonId = `why-${name}-${job.id}`;
    return h('span', { class: 'action' },
      h('button', {
        type: 'button', class: name === 'cancel' ? 'danger' : 'secondary', 'data-action': name, 'data-focus-id': `${name}-${job.id}`,
        'aria-disabled': blocked ? 'true' : null, 'aria-describedby': blocked ? reasonId : null,
        onclick: async () => {
          if (blocked) { toast(blocked); return; }
          if (question && !(await confirmAction(question, label))) return;
          try {
            const answer = await post(`/api/jobs/${job.id}/${name}`);
            toast(name === 'retry' ? `Retried as job ${shortId(answer.id)}.`
              : name === 'reprint' ? `Printing again as job ${shortId(answer.id)}.`
              : `Job ${shortId(job.id)}: ${answer.state}.`);
            changed(answer);
          } catch (e) {
            toast(`${label} failed: ${describe(e)}`, 'error', e.code);
          }
        },
      }, label),
      blocked ? h('small', { id: reasonId, class: 'why', role: 'tooltip' }, blocked) : null);
  }));
}

export async function mount(main, ctx) {
  const id = ctx.params.id;
  let job;
  try {
    job = await get(`/api/jobs/${encodeURIComponent(id)}`);
  } catch (e) {
    replace(main, h('h1', {}, 'Job'), h('p', { class: 'notice error', role: 'alert' }, describe(e)), h('p', {}, h('a', { href: '#/jobs' }, 'All jobs')));
    return null;
  }
  const printer = await get(`/api/printers/${job.printer_id}`).catch(() => null);
  const events = [];
  const facts = h('dl', { class: 'facts' });
  const timeline = h('ol', { class: 'timeline', id: 'timeline' });
  const actionsBox = h('div');
  const preview = h('div', { class: 'preview-frame' });
  replace(main,
    h('p', {}, h('a', { href: '#/jobs' }, '← Queue & history')),
    h('h1', {}, `Job ${shortId(job.id)}`),
    h('div', { class: 'detail-layout' },
      h('section', { 'aria-label': 'Details' }, facts, actionsBox),
      h('section', { 'aria-label': 'Preview' }, h('h2', {}, 'Preview'), preview),
      h('section', { 'aria-label': 'Timeline' }, h('h2', {}, 'Timeline'), timeline)));

  function draw() {
    replace(facts,
      h('dt', {}, 'State'), h('dd', {}, h('span', { class: `badge state-${job.state}`, 'data-state': job.state }, job.state)),
      h('dt', {}, 'Printer'), h('dd', {}, printer ? `${printer.name} (${printer.model}, ${printer.media})` : job.printer_id),
      job.title ? [h('dt', {}, 'Text'), h('dd', {}, job.title)] : null,
      h('dt', {}, 'Layout'), h('dd', {}, layoutOf(job)),
      h('dt', {}, 'Copies'), h('dd', {}, `${job.copies_printed} of ${job.copies} printed`),
      unconfirmed(job) ? [h('dt', {}, 'Confirmation'), h('dd', { class: 'warn', 'data-confirmed': 'false' },
        'Sent, not confirmed: the hub sent the label, but the printer did not report printing it.')] : null,
      job.batch_id ? [h('dt', {}, 'Batch'), h('dd', {}, h('a', { href: `#/jobs?batch=${job.batch_id}` }, job.batch_id))] : null,
      job.parent_job_id ? [h('dt', {}, 'Retry of'), h('dd', {}, h('a', { href: `#/jobs/${job.parent_job_id}` }, shortId(job.parent_job_id)), ` (retry ${job.retry_count})`)] : null,
      job.submitted_by ? [h('dt', {}, 'Submitted by'), h('dd', {}, job.submitted_by)] : null,
      job.error_code ? [h('dt', {}, 'Error'), h('dd', { class: 'warn' }, `${job.error_code}: ${job.error_message || ''}`)] : null,
      h('dt', {}, 'Id'), h('dd', { class: 'mono' }, job.id));
    keepFocus(() => replace(actionsBox, jobActions(job, ctx, (answer) => {
      if (answer.id !== job.id) ctx.navigate(`#/jobs/${answer.id}`);
      else { job = answer; draw(); }
    })));
    const steps = [['Submitted', job.created_at],
      // Laid out again for the medium loaded while it waited (issue #20).
      ...(job.relayouts || []).map((r) => [`Laid out again for ${r.to_media} (was ${r.from_media})`, r.at]),
      ['Started printing', job.started_at],
      [job.state === 'completed' ? (unconfirmed(job) ? 'Completed (sent, not confirmed)' : 'Completed') : `Ended ${job.state}`, TERMINAL.has(job.state) ? job.finished_at : null]];
    replace(timeline,
      steps.filter(([, at]) => at).map(([what, at]) => h('li', {}, h('time', { datetime: at }, time(at)), ` ${what}`)),
      events.map(([at, what]) => h('li', { class: 'live-event' }, h('time', { datetime: at }, time(at)), ` ${what}`)));
  }

  async function showPreview() {
    try {
      const res = await fetch(`/api/jobs/${job.id}/preview`, { headers: authHeaders() });
      if (!res.ok) throw new Error(res.status === 404 ? 'this server does not keep job previews' : `HTTP ${res.status}`);
      const url = URL.createObjectURL(await res.blob());
      const img = h('img', { src: url, alt: `The label as printed (job ${shortId(job.id)})`, hidden: true });
      await new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; });
      replace(preview, img, labelView(img, img.alt));
      URL.revokeObjectURL(url);
    } catch (e) {
      replace(preview, h('p', { class: 'muted' }, `No preview: ${e.message}.`));
    }
  }

  const onEvent = (e) => {
    const { type, data } = e.detail;
    if (data.job_id !== job.id) return;
    if (type === 'job.state_changed') {
      job = data.job;
      events.push([data.at, `${data.from || 'created'} → ${data.to}`]);
      draw();
    } else if (type === 'job.progressed') {
      job.copies_printed = data.copies_printed;
      events.push([data.at, `copy ${data.copies_printed} of ${data.copies} printed`]);
      draw();
    }
  };
  const onRefresh = async () => {
    try { job = await get(`/api/jobs/${job.id}`); draw(); } catch { /* kept as shown */ }
  };
  ctx.live.addEventListener('printhub-event', onEvent);
  ctx.live.addEventListener('refresh', onRefresh);
  draw();
  showPreview();
  return () => {
    ctx.live.removeEventListener('printhub-event', onEvent);
    ctx.live.removeEventListener('refresh', onRefresh);
  };
}
