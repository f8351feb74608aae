// Words and times as people read them; every state is text, never colour alone.

export const JOB_STATES = ['queued', 'held', 'printing', 'completed', 'failed', 'cancelled', 'interrupted'];
export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

const REASONS = {
  media_mismatch: 'wrong media loaded',
  no_media: 'no media loaded',
  printer_cover_open: 'cover open',
  cover_open: 'cover open',
  media_jam: 'media jammed',
};

/** "wrong media loaded (media_mismatch)". */
export function reasonText(code) {
  if (!code) return '';
  return REASONS[code] ? `${REASONS[code]} (${code})` : code.replaceAll('_', ' ');
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function ago(iso) {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return time(iso);
}

export function shortId(id) {
  return id ? id.slice(0, 8) : '';
}

/** Whether a job completed without the printer confirming it (sent, not confirmed). */
export function unconfirmed(job) {
  return job.state === 'completed' && job.confirmed === false;
}

/** What a job lays out: its content type or template. */
export function layoutOf(job) {
  return job.content_type || (job.template ? `template ${job.template}` : 'label');
}

/** The reason each job action is unavailable, or null when it is allowed. */
export function jobActionBlock(job, action) {
  const s = job.state;
  switch (action) {
    case 'cancel':
      if (s === 'queued' || s === 'held') return null;
      if (s === 'printing') {
        return job.copies_printed + 1 < job.copies ? null
          : 'The last copy is printing; a started label is never cut off.';
      }
      return `The job is already ${s}.`;
    case 'hold':
      return s === 'queued' ? null : (s === 'held' ? 'The job is already held.' : `Only queued jobs can be held; this one is ${s}.`);
    case 'release':
      return s === 'held' ? null : `Only held jobs can be released; this one is ${s}.`;
    case 'retry':
      return ['failed', 'interrupted', 'cancelled'].includes(s) ? null
        : (s === 'completed' ? 'The job completed; use Print again.' : `The job is still ${s}.`);
    case 'reprint':
      return TERMINAL.has(s) ? null : `The job is still ${s}; print it again once it has finished.`;
    default:
      return 'Unknown action.';
  }
}
