// What an API error means to a person: every problem the API answers becomes
// sentences in plain words, placed next to the field it is about (by the
// field's label, never its API name) or at the top of the form. The stable
// error code stays available on hover (the message's title) and as
// `data-code`, for a bug report.

/** The names people read for the fields the API names. */
export const FIELD_LABELS = {
  primary_id: 'Identifier',
  title: 'Title',
  qr_payload: 'Code content',
  secondary: 'Further lines',
  items: 'Items',
  copies: 'Copies',
  printer: 'Printer',
  layout: 'Layout',
  content_type: 'Layout',
  template: 'Layout',
  slug: 'Slug',
  name: 'Name',
  model: 'Model',
  media: 'Media',
  address: 'Address',
  snmp: 'SNMP address',
  scope: 'Scope',
  printers: 'Printers',
  expires_at: 'Expires',
  rate_limit_per_minute: 'Requests per minute',
  image: 'Image',
  file: 'Image file',
  lines: 'Text',
  size_pt: 'Size',
  text: 'Text',
  key: 'API key',
  defaults: 'Print defaults',
};

/** `qr_payload` → "Code content" (the form's own label when it has one). */
export function labelOf(name, labels = {}) {
  return labels[name] || FIELD_LABELS[name] || String(name).replaceAll('_', ' ');
}

/** Which form field a renderer's `what` is about (`qr_payload`, `items`, `text "…"`). */
export function fieldOf(what) {
  const w = String(what || '');
  if (w === 'size_pt' || w === 'lines') return w;
  for (const f of ['qr_payload', 'primary_id', 'title', 'secondary', 'items']) if (w === f || w.includes(f)) return f;
  if (w === 'qr') return 'qr_payload';
  if (w === 'listing') return 'items';
  return '_form';
}

/**
 * The errors of a problem as `{field: sentence}`; `_form` holds what no field
 * takes. `context.labels` names the form's fields, `context.media` the medium
 * ("12 mm tape") the label is laid out for.
 */
export function explain(err, context = {}) {
  const labels = context.labels || {};
  const media = context.media || 'this media';
  const x = err.extra || {};
  const out = {};
  const add = (name, text) => { out[name] = out[name] ? `${out[name]} ${text}` : text; };
  switch (err.code) {
    case 'content_type_data_mismatch':
      for (const f of x.missing || []) {
        const name = f.split('|')[0];
        if (name === 'content_type' || name === 'template') add('layout', 'Choose a layout.');
        else add(name, `Fill in ${labelOf(name, labels)}: this layout needs it.`);
      }
      break;
    case 'does_not_fit': {
      const name = fieldOf(x.what);
      if (name === 'qr_payload') {
        add(name, `Too much data for a QR code on ${media}: ` +
          (Number.isInteger(x.fits_chars) ? `shorten it to about ${x.fits_chars} characters or use wider tape.` : 'shorten it or use wider tape.'));
      } else if (name === 'size_pt') {
        add(name, `The text does not fit on ${media} at this size: choose a smaller size or Auto-fit.`);
      } else if (name === 'lines') {
        add(name, `Too many lines for ${media}: remove some lines or use wider media.`);
      } else if (name === 'items') {
        add(name, `The items do not fit on ${media}: list fewer items or use wider media.`);
      } else if (name !== '_form') {
        add(name, `${labelOf(name, labels)} does not fit on ${media}: shorten it or use wider media.`);
      } else {
        add('_form', `The label does not fit on ${media}: shorten the text or use wider media.`);
      }
      break;
    }
    case 'qr_too_large':
      add('qr_payload', 'Too much data for any QR code: shorten the code content.');
      break;
    case 'missing_glyphs':
      add('_form', `The label uses characters no font here can print: ${err.message.replace(/^.*?:\s*/, '')}.`);
      break;
    case 'unknown_content_type':
    case 'unknown_template':
      add('layout', 'This layout is not known to the hub: choose another one.');
      break;
    case 'queue_full':
      add('_form', `The printer's queue is full: wait for queued labels to print, then press Print again${err.retryAfter ? ` (in about ${err.retryAfter} s)` : ''}.`);
      break;
    case 'rate_limited':
      add('_form', `Too many requests in a short time: wait${err.retryAfter ? ` ${err.retryAfter} s` : ' a moment'} and try again.`);
      break;
    case 'printer_disabled':
      add('printer', 'This printer is disabled: enable it in Admin or choose another printer.');
      break;
    case 'printer_not_allowed':
      add('printer', 'Your key may not print on this printer: choose another printer or ask an admin.');
      break;
    case 'printer_not_found':
      add('printer', 'This printer no longer exists: reload the page and choose another.');
      break;
    case 'saved_label_exists':
      add('name', 'A saved label already has this name (in some mix of capitals): choose another name.');
      break;
    case 'saved_label_not_found':
      add('_form', 'This saved label no longer exists: someone deleted it meanwhile.');
      break;
    case 'printer_exists':
      add('slug', 'A printer with this slug already exists: choose another slug.');
      break;
    case 'printer_unreachable':
      add('address', 'No printer answered at this address: check that it is on and the address is right (and the SNMP address, for a QL).');
      break;
    case 'printer_unidentified':
      add('address', `The device at this address is not a printer the hub knows${x.said ? ` (it said: ${x.said})` : ''}: choose its model yourself, or check the address.`);
      break;
    case 'media_not_reported':
      add('media', 'This printer does not report its medium here: choose the media, or give its SNMP address.');
      break;
    case 'unsupported_option':
    case 'invalid_cut_every':
      add('_form', `This printer cannot do that: ${err.message}`);
      break;
    case 'insufficient_scope':
      add('_form', 'Your key is not allowed to do this: sign in with a key with a wider scope.');
      break;
    case 'unauthorized':
      add(context.keyField || '_form', 'The key was not accepted: check it, or ask an admin for a new one.');
      break;
    case 'network':
      add('_form', 'The hub cannot be reached: check the connection and try again.');
      break;
    default:
      break;
  }
  if (Object.keys(out).length === 0) {
    // Errors naming a field (`field`, `fields`): the server's own words, next to it.
    const sentence = err.message ? `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}` : 'Something went wrong.';
    const text = /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
    const norm = (f) => String(f).replace(/^(data|text)\./, '').replace(/\[\d+\]$/, '');
    if (typeof x.field === 'string') add(norm(x.field), text);
    if (Array.isArray(x.fields)) for (const f of x.fields) add(norm(f), text);
    if (Object.keys(out).length === 0) {
      add('_form', err.status >= 500
        ? `The hub failed to do this: ${text} Try again; if it keeps failing, tell the hub's admin.`
        : text);
    }
  }
  return out;
}
