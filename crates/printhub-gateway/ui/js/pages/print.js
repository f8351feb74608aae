// Print: pick a printer (its media sets the geometry), a content type or a
// template, fill the fields (or look an item up, typing or scanning its code),
// copies and cut options. The preview is the exact raster from
// POST /api/render/preview, refreshed as you type; after Print the job's
// progress shows until it completed or why it failed. "Save as…" keeps the
// form on the hub under a name (POST /api/saved-labels); the "Saved labels"
// picker fills the form from one again, or deletes it after asking.

import { api, get, post, optional, describe, fieldErrors, ApiError } from '../api.js';
import { labelOf } from '../messages.js';
import { h, replace, field, showFieldErrors, clearFieldErrors, debounce, toast, labelView, confirmAction } from '../dom.js';
import { reasonText, shortId, TERMINAL } from '../format.js';

const FIELDS = [
  ['primary_id', 'Identifier', 'input', 'Asset tag, box number, SKU…'],
  ['title', 'Title', 'input', 'Product or location name.'],
  ['qr_payload', 'Code content', 'input', 'What the QR or DataMatrix code encodes (often a URL).'],
  ['secondary', 'Further lines', 'textarea', 'One per line.'],
  ['items', 'Items', 'textarea', 'One item per line.'],
];
/** Labels longer than this (in mm) get a warning under the preview: most likely not what was meant. */
const LONG_LABEL_MM = 150;

// Each option with what it is when the printer's defaults (`defaults`,
// issue #20) are applied to a single job: the form starts from them, so
// printing without touching a box prints as the printer is set up.
const OPTIONS = [
  ['cut', 'Cut after each label', (m) => m.auto_cut, (d) => (d.cut || 'each') === 'each'],
  ['half_cut', 'Half cut (keeps labels on one backing)', (m) => m.half_cut, (d) => Boolean(d.half_cut)],
  ['chain', 'Chain (no feed before the next label)', (m) => m.chain, (d) => d.cut === 'end'],
  ['high_res', 'High resolution', (m) => Boolean(m.high_res_dpi), () => false],
];

export async function mount(main, ctx) {
  if (!ctx.can('print')) {
    replace(main, h('h1', {}, 'Print'), h('p', { class: 'notice' }, ctx.needs('print')));
    return null;
  }
  const [printers, models, media, catalogue, integrations, savedList] = await Promise.all([
    get('/api/printers'), get('/api/models'), get('/api/media'), get('/ui/catalogue.json'),
    optional('/api/integrations').catch(() => null),
    // A hub without saved labels (404, 503) still prints; the picker says why it is empty.
    get('/api/saved-labels').catch((e) => e),
  ]);
  const usable = printers.filter((p) => p.enabled);
  if (usable.length === 0) {
    replace(main, h('h1', {}, 'Print'), h('p', { class: 'notice' }, 'No enabled printer. ',
      ctx.can('admin') ? h('a', { href: '#/admin' }, 'Add one in Admin.') : 'Ask an admin to add one.'));
    return null;
  }

  // The form.
  const printerSel = h('select', {}, usable.map((p) =>
    h('option', { value: p.id, selected: p.slug === ctx.query.printer || p.id === ctx.query.printer }, `${p.name} (${media.find((x) => x.id === p.media)?.name || p.media || 'no media'})`)));
  const geometry = h('small', { class: 'hint', id: 'geometry' });
  const layoutSel = h('select', {},
    h('optgroup', { label: 'Content types' }, catalogue.content_types.map((c) => h('option', { value: `ct:${c.name}` }, c.name.replaceAll('_', ' ')))),
    h('optgroup', { label: 'Templates' }, catalogue.templates.map((t) => h('option', { value: `tpl:${t.name}` }, `template: ${t.name.replaceAll('_', ' ')}`))),
    h('optgroup', { label: 'Free text' }, h('option', { value: 'text:free' }, 'free text (lines, size, bold, alignment)')),
    h('optgroup', { label: 'Picture' }, h('option', { value: 'img:upload' }, 'image (PNG or JPEG)')));
  layoutSel.value = ctx.query.layout ? ctx.query.layout : 'ct:qr_one_line';
  const controls = {};
  const fieldBoxes = {};
  for (const [name, label, kind, hint] of FIELDS) {
    controls[name] = kind === 'textarea' ? h('textarea', { rows: 3 }) : h('input', { type: 'text', autocomplete: 'off' });
    fieldBoxes[name] = field(label, controls[name], { name, hint });
  }
  const linesNote = h('small', { id: 'lines-note', class: 'hint', role: 'status' });
  fieldBoxes.secondary.append(linesNote);
  // An uploaded picture: printed as the API's multipart upload prints it.
  const fileInput = h('input', { type: 'file', accept: 'image/png,image/jpeg' });
  const ditherSel = h('select', {},
    h('option', { value: 'floyd_steinberg' }, 'Dithered: shades as dot patterns (photos)'),
    h('option', { value: 'threshold' }, 'Threshold: each dot black or white (line art, logos)'));
  const imageBox = h('fieldset', { class: 'image-fields', hidden: true }, h('legend', {}, 'Picture'),
    field('Image file', fileInput, { name: 'file', hint: 'PNG or JPEG; scaled to the width the media prints.' }),
    field('Black and white', ditherSel, { name: 'dither' }));
  // Free text: lines as typed, a size (or auto-fit), bold, alignment.
  const textLines = h('textarea', { rows: 3 });
  const sizeSel = h('select', {}, h('option', { value: '' }, 'Auto-fit: as large as fits'),
    [6, 8, 10, 12, 14, 18, 24, 32, 48, 72].map((pt) => h('option', { value: String(pt) }, `${pt} pt`)));
  const boldBox = h('input', { type: 'checkbox', id: 'text-bold', name: 'bold' });
  const alignSel = h('select', {}, h('option', { value: 'left' }, 'Left'), h('option', { value: 'center' }, 'Centre'), h('option', { value: 'right' }, 'Right'));
  const textBox = h('fieldset', { class: 'text-fields', hidden: true }, h('legend', {}, 'Free text'),
    field('Text', textLines, { name: 'lines', hint: 'One line of the label per line.' }),
    field('Size', sizeSel, { name: 'size_pt' }),
    h('div', { class: 'check' }, boldBox, h('label', { for: 'text-bold' }, 'Bold')),
    field('Alignment', alignSel, { name: 'align' }));
  const copies = h('input', { type: 'number', min: 1, max: 999, value: '1', inputmode: 'numeric' });
  const optionsBox = h('fieldset', { class: 'options' }, h('legend', {}, 'Cutting and quality'));
  const optionControls = {};
  // Saved labels: the picker (a disclosure at the top of the form) and the "Save as…" dialog.
  let saved = Array.isArray(savedList) ? savedList : [];
  const savedItems = h('ul', { class: 'saved-list', 'aria-label': 'Saved labels' });
  const savedCount = h('span', { id: 'saved-count' });
  const savedNote = h('p', { class: 'error', 'data-error-for': 'saved', role: 'alert' });
  const savedBox = h('details', { class: 'saved-picker', id: 'saved-picker' },
    h('summary', {}, 'Saved labels ', savedCount),
    savedItems, savedNote);
  const form = h('form', { novalidate: true, class: 'print-form', 'aria-labelledby': 'print-title' },
    savedBox,
    field('Printer', printerSel, { name: 'printer' }), geometry,
    field('Layout', layoutSel, { name: 'layout', hint: 'A built-in content type or a template.' }),
    lookupPanel(),
    h('fieldset', { class: 'label-fields' }, h('legend', {}, 'What the label says'), Object.values(fieldBoxes)),
    imageBox,
    textBox,
    field('Copies', copies, { name: 'copies', hint: '1 to 999.' }),
    optionsBox,
    h('p', { class: 'error', 'data-error-for': '_form', role: 'alert' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'print-submit' }, 'Print'),
      h('button', { type: 'button', class: 'secondary', id: 'save-as' }, 'Save as…')));

  const nameInput = h('input', { type: 'text', autocomplete: 'off', maxlength: 100 });
  const forPrinter = h('input', { type: 'checkbox', id: 'save-for-printer', name: 'for_printer', checked: true });
  const saveForm = h('form', { novalidate: true, class: 'save-form' },
    h('h2', { id: 'save-title' }, 'Save this label'),
    field('Name', nameInput, { name: 'name', hint: 'Up to 100 characters. Pick it again from Saved labels.' }),
    h('div', { class: 'check' }, forPrinter, h('label', { for: 'save-for-printer' }, 'Only for this printer')),
    h('p', { class: 'error', 'data-error-for': '_form', role: 'alert' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', id: 'save-submit' }, 'Save'),
      h('button', { type: 'button', class: 'secondary', onclick: () => saveDialog.close() }, 'Cancel')));
  const saveDialog = h('dialog', { id: 'save-dialog', 'aria-labelledby': 'save-title' }, saveForm);

  // The preview and the job's progress.
  // The PNG is the exact raster (kept, hidden, as the source); what shows is its view.
  const previewImg = h('img', { id: 'preview', alt: 'Label preview', hidden: true });
  const previewFrame = h('div', { class: 'preview-frame' }, previewImg);
  const previewNote = h('p', { class: 'muted', id: 'preview-note', role: 'status' }, 'The preview appears here.');
  const lengthNote = h('p', { id: 'label-length', role: 'status' });
  const progress = h('section', { id: 'job-progress', class: 'progress-box', 'aria-live': 'polite', hidden: true });
  replace(main,
    h('h1', { id: 'print-title' }, 'Print a label'),
    h('div', { class: 'print-layout' },
      form,
      h('section', { class: 'preview-box', 'aria-label': 'Preview' },
        h('h2', {}, 'Preview'),
        previewFrame,
        previewNote,
        lengthNote,
        progress)),
    saveDialog);

  const currentPrinter = () => usable.find((p) => p.id === printerSel.value);
  const labels = Object.fromEntries(FIELDS.map(([name, label]) => [name, label]));
  const nameOf = (name) => labelOf(name, labels);
  /** "12 mm tape (TZe)": the medium the label is laid out for, in the catalogue's words. */
  const mediaWords = () => {
    const m = media.find((x) => x.id === currentPrinter()?.media);
    return m ? m.name : 'this media';
  };
  const context = () => ({ labels, media: mediaWords() });
  const currentModel = () => models.find((m) => m.name === currentPrinter()?.model);

  function showGeometry() {
    const p = currentPrinter();
    const m = media.find((x) => x.id === p.media);
    const loaded = p.status?.media;
    geometry.textContent = `${p.model} · ${m ? m.name : p.media}` +
      (loaded && loaded !== p.media ? ` · the printer reports ${mediaName(loaded)} loaded: it will stop until ${mediaName(p.media)} is loaded` : '') +
      (p.state !== 'idle' && p.state !== 'printing' ? ` · printer ${p.state}${p.state_reason ? `: ${reasonText(p.state_reason)}` : ''}` : '');
  }

  function mediaName(id) {
    return media.find((x) => x.id === id)?.name || id;
  }

  /** The option boxes of the chosen printer, set as its print defaults say. */
  function showOptions() {
    const m = currentModel() || {};
    const d = currentPrinter()?.defaults || {};
    replace(optionsBox, h('legend', {}, 'Cutting and quality'));
    for (const key of Object.keys(optionControls)) delete optionControls[key];
    for (const [name, label, supported, dflt] of OPTIONS) {
      if (!supported(m)) continue;
      const box = h('input', { type: 'checkbox', id: `opt-${name}`, name, checked: dflt(d) });
      optionControls[name] = box;
      optionsBox.append(h('div', { class: 'check' }, box, h('label', { for: `opt-${name}` }, label)));
    }
    if (Object.keys(optionControls).length === 0) optionsBox.append(h('p', { class: 'muted' }, `${m.name || 'This model'} has no cut options.`));
  }

  const isImage = () => layoutSel.value === 'img:upload';
  const isText = () => layoutSel.value === 'text:free';

  function showFields() {
    const [kind, name] = layoutSel.value.split(':');
    imageBox.hidden = !isImage();
    textBox.hidden = !isText();
    form.querySelector('.label-fields').hidden = isImage() || isText();
    optionsBox.hidden = isImage();
    const spec = kind === 'ct'
      ? catalogue.content_types.find((c) => c.name === name)?.required.map((f) => ({ name: f, required: true })) || []
      : catalogue.templates.find((t) => t.name === name)?.fields || [];
    const used = new Map(spec.map((f) => [f.name, f.required]));
    for (const [fname, label] of FIELDS) {
      const box = fieldBoxes[fname];
      box.hidden = !used.has(fname);
      box.querySelector('label').textContent = used.get(fname) ? `${label} (required)` : label;
      controls[fname].toggleAttribute('aria-required', Boolean(used.get(fname)));
    }
    showLines();
  }

  /** How many further lines the layout prints, and a warning when more are typed. */
  function showLines() {
    const [kind, name] = layoutSel.value.split(':');
    const entry = kind === 'ct' ? catalogue.content_types.find((c) => c.name === name) : catalogue.templates.find((t) => t.name === name);
    const takes = entry?.secondary_lines ?? 0;
    const typed = controls.secondary.value.split('\n').map((x) => x.trim()).filter(Boolean).length;
    linesNote.dataset.takes = String(takes);
    linesNote.dataset.typed = String(typed);
    const words = `This layout prints ${takes === 1 ? 'one further line' : `${takes} further lines`}`;
    if (typed > takes) {
      linesNote.className = 'warn';
      linesNote.dataset.warning = 'true';
      linesNote.textContent = `${words}: ${typed - takes === 1 ? 'the last line you typed is' : `the last ${typed - takes} lines you typed are`} not printed.`;
    } else {
      linesNote.className = 'hint';
      delete linesNote.dataset.warning;
      linesNote.textContent = `${words}.`;
    }
  }

  /** The multipart form of the chosen picture, with `extra` fields (`printer` for a preview, `copies` for a job). */
  function imageForm(extra) {
    const fd = new FormData();
    fd.append('file', fileInput.files[0]);
    fd.append('dither', ditherSel.value);
    for (const [k, v] of Object.entries(extra)) fd.append(k, v);
    return fd;
  }

  /** The free text request: every typed line (blank ones are spacers), size, weight and alignment. */
  function freeText() {
    const text = { lines: textLines.value.replace(/\s+$/, '').split('\n'), bold: boldBox.checked, align: alignSel.value };
    if (sizeSel.value) text.size_pt = Number(sizeSel.value);
    return { text };
  }

  function labelBody() {
    if (isText()) return freeText();
    const [kind, name] = layoutSel.value.split(':');
    const lines = (s) => s.split('\n').map((x) => x.trim()).filter(Boolean);
    const data = {};
    for (const f of ['primary_id', 'title', 'qr_payload']) if (controls[f].value.trim() && !fieldBoxes[f].hidden) data[f] = controls[f].value.trim();
    if (!fieldBoxes.secondary.hidden) data.secondary = lines(controls.secondary.value);
    if (!fieldBoxes.items.hidden) data.items = lines(controls.items.value).map((item) => ({ item }));
    return kind === 'ct' ? { content_type: name, data } : { template: name, data };
  }

  /** The JSON body of a job: the label, copies and cut options (what a saved label keeps too). */
  function jobBody() {
    const body = labelBody();
    body.copies = copies.value.trim() === '' ? undefined : Number(copies.value);
    body.options = Object.fromEntries(Object.entries(optionControls).map(([k, c]) => [k, c.checked]));
    return body;
  }

  // Preview, debounced; a newer request aborts the older one.
  let previewAbort = null;
  let previewUrl = null;
  async function refreshPreview() {
    previewAbort?.abort();
    previewAbort = new AbortController();
    if (isImage() && !fileInput.files?.length) {
      main.dataset.preview = 'none';
      previewNote.textContent = 'Choose an image file to see the preview.';
      previewFrame.replaceChildren(previewImg);
      lengthNote.textContent = '';
      return;
    }
    const body = isImage() ? imageForm({ printer: printerSel.value }) : { ...labelBody(), printer: printerSel.value };
    previewNote.textContent = 'Updating preview…';
    try {
      const res = await post('/api/render/preview', body, { raw: true, signal: previewAbort.signal });
      const blob = await res.blob();
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(blob);
      await new Promise((resolve) => { previewImg.onload = resolve; previewImg.onerror = resolve; previewImg.src = previewUrl; });
      previewImg.dataset.request = body instanceof FormData
        ? JSON.stringify({ file: fileInput.files[0].name, dither: ditherSel.value, printer: printerSel.value })
        : JSON.stringify(body);
      const w = previewImg.naturalWidth;
      const hgt = previewImg.naturalHeight;
      previewImg.alt = `Preview of the label: ${w} dots across the media, ${hgt} raster lines long.`;
      previewFrame.replaceChildren(previewImg, labelView(previewImg, previewImg.alt));
      previewNote.textContent = `${w} dots across × ${hgt} raster lines, exactly as it will print.`;
      previewNote.removeAttribute('title');
      showLength(hgt);
      main.dataset.preview = 'ok';
    } catch (e) {
      if (e.name === 'AbortError') return;
      main.dataset.preview = 'error';
      const missing = e.extra?.missing;
      previewNote.textContent = Array.isArray(missing)
        ? `Fill in ${missing.map((f) => nameOf(f.split('|')[0])).join(', ')} to see the preview.`
        : `No preview: ${describe(e, context())}`;
      previewNote.title = e.code ? `Error code: ${e.code}` : '';
      previewNote.dataset.code = e.code || '';
      lengthNote.textContent = '';
    }
  }
  const schedulePreview = debounce(refreshPreview, 250);

  /** The label's length along the media (raster lines over the model's dpi), with a warning past LONG_LABEL_MM. */
  function showLength(lines) {
    const dpi = currentModel()?.dpi;
    if (!dpi) { lengthNote.textContent = ''; return; }
    const mm = (lines * 25.4) / dpi;
    const words = mm >= 100 ? `${(mm / 10).toFixed(1)} cm` : `${Math.round(mm)} mm`;
    lengthNote.dataset.mm = mm.toFixed(1);
    if (mm > LONG_LABEL_MM) {
      lengthNote.className = 'warn';
      lengthNote.dataset.warning = 'true';
      lengthNote.textContent = `Label length: ${words}. That is a long label: check the text, or use a shorter one or wider media.`;
    } else {
      lengthNote.className = 'muted';
      delete lengthNote.dataset.warning;
      lengthNote.textContent = `Label length: ${words}.`;
    }
  }

  // Submit, then follow the job.
  let followed = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const submit = form.querySelector('#print-submit');
    let body;
    if (isImage()) {
      if (!fileInput.files?.length) {
        showFieldErrors(form, { file: 'Choose an image file (PNG or JPEG) to print.' }, null, nameOf);
        return;
      }
      body = imageForm({ copies: copies.value.trim() || '1' });
    } else {
      body = jobBody();
    }
    submit.disabled = true;
    try {
      const job = await post(`/api/printers/${printerSel.value}/jobs`, body);
      followed = job;
      showProgress();
      progress.scrollIntoView({ block: 'nearest' });
      toast(`Job ${shortId(job.id)} queued.`);
      // Events for this job may have arrived before the answer did (a fast
      // printer): read it once more so none of them is missed.
      await refetchFollowed();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      showFieldErrors(form, fieldErrors(e, context()), e.code, nameOf);
    } finally {
      submit.disabled = false;
    }
  });

  function showProgress() {
    const job = followed;
    if (!job) return;
    const p = printers.find((x) => x.id === job.printer_id);
    let text;
    if (job.state === 'completed') text = `Completed: ${job.copies_printed} of ${job.copies} printed.`;
    else if (job.state === 'failed' || job.state === 'interrupted') text = `${job.state === 'failed' ? 'Failed' : 'Interrupted'}: ${job.error_message || ''} (${job.error_code || job.state}).`;
    else if (job.state === 'cancelled') text = `Cancelled after ${job.copies_printed} of ${job.copies}.`;
    else if (job.state === 'printing') text = `Printing copy ${Math.min(job.copies_printed + 1, job.copies)} of ${job.copies}…`;
    else {
      text = `${job.state === 'held' ? 'Held' : 'Queued'} on ${p ? p.name : 'the printer'}.`;
      if (p && ['stopped', 'offline', 'paused'].includes(p.state)) text += ` The printer is ${p.state}${p.state_reason ? ` (${reasonText(p.state_reason)})` : ''}: the job waits.`;
    }
    replace(progress,
      h('h2', {}, 'Job ', h('a', { href: `#/jobs/${job.id}` }, shortId(job.id))),
      h('p', { 'data-job-state': job.state, class: `job-state state-${job.state}` }, text),
      h('progress', { max: job.copies, value: job.copies_printed, 'aria-label': 'Copies printed' }));
    progress.hidden = false;
  }

  // Takes `view` as the followed job's state, unless the page already shows
  // that job finished and `view` does not: a terminal state is final (a
  // retry is a new job), and a view read before it (a GET answered after the
  // job's last event, under load) must not bring the job back to "printing".
  function adopt(view) {
    if (!view || !followed || view.id !== followed.id) return;
    if (TERMINAL.has(followed.state) && !TERMINAL.has(view.state)) return;
    followed = view;
  }

  async function refetchFollowed() {
    if (!followed || TERMINAL.has(followed.state)) return;
    try {
      adopt(await get(`/api/jobs/${followed.id}`));
      const fresh = await get(`/api/printers/${followed.printer_id}`);
      const i = printers.findIndex((x) => x.id === fresh.id);
      if (i >= 0) printers[i] = fresh;
      showProgress();
    } catch { /* shown on the next event */ }
  }

  function onEvent(e) {
    const { type, data } = e.detail;
    if (!followed) return;
    if (type === 'job.state_changed' && data.job_id === followed.id) {
      // The event's own `to` when its view is missing (a job pruned since).
      adopt(data.job || { ...followed, state: data.to });
      showProgress();
    } else if (type === 'job.progressed' && data.job_id === followed.id) {
      followed.copies_printed = data.copies_printed;
      showProgress();
    } else if (type === 'printer.state_changed' && data.printer?.id === followed.printer_id) {
      const i = printers.findIndex((x) => x.id === data.printer.id);
      if (i >= 0) printers[i] = data.printer;
      showProgress();
    }
  }

  // Lookup by id or by scanning a code.
  function lookupPanel() {
    const apps = (integrations || []).filter((i) => i.configured);
    if (apps.length === 0) return null;
    const appSel = h('select', {}, apps.map((a) => h('option', { value: a.app }, { grocy: 'Grocy', snipeit: 'Snipe-IT', spoolman: 'Spoolman' }[a.app] || a.app)));
    const idInput = h('input', { type: 'text', autocomplete: 'off', placeholder: 'id, barcode, grcy:p:12, URL…' });
    const found = h('p', { class: 'muted', role: 'status' });
    const doLookup = async () => {
      const id = idInput.value.trim();
      if (!id) { showFieldErrors(panel, { lookup_id: 'Type or scan an id first.' }); return; }
      clearFieldErrors(panel);
      found.textContent = 'Looking up…';
      try {
        const view = await get(`/api/lookup/${encodeURIComponent(appSel.value)}/${encodeURIComponent(id)}`);
        fill(view);
        replace(found, `Found: ${view.title}`, view.url ? [' · ', h('a', { href: view.url, target: '_blank', rel: 'noopener noreferrer' }, 'open')] : '');
      } catch (e) {
        found.textContent = '';
        showFieldErrors(panel, { lookup_id: describe(e) }, e.code);
      }
    };
    const scanSupported = 'BarcodeDetector' in window && navigator.mediaDevices?.getUserMedia;
    const panel = h('fieldset', { class: 'lookup' }, h('legend', {}, 'Look up an item'),
      field('Source', appSel, { name: 'lookup_app' }),
      field('Item id or code', idInput, { name: 'lookup_id' }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: doLookup }, 'Look up'),
        scanSupported ? h('button', { type: 'button', class: 'secondary', onclick: () => scan(idInput, doLookup) }, 'Scan code') : null),
      found);
    idInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); doLookup(); } });
    return panel;
  }

  function fill(view) {
    const d = view.data || {};
    controls.primary_id.value = d.primary_id || '';
    controls.title.value = d.title || '';
    controls.qr_payload.value = d.qr_payload || '';
    controls.secondary.value = (d.secondary || []).join('\n');
    controls.items.value = (d.items || []).map((i) => i.item).join('\n');
    if (view.template && catalogue.templates.some((t) => t.name === view.template)) layoutSel.value = `tpl:${view.template}`;
    showFields();
    schedulePreview();
  }

  // Saved labels.
  const printerName = (id) => usable.find((p) => p.id === id)?.name || printers.find((p) => p.id === id)?.name;
  function showSaved() {
    savedCount.textContent = `(${saved.length})`;
    const rows = saved.map((label) => h('li', { 'data-saved': label.id, 'data-name': label.name },
      h('button', { type: 'button', class: 'secondary pick', 'data-action': 'pick', onclick: () => applySaved(label) },
        h('span', {}, label.name),
        h('small', { class: 'hint' }, label.printer_id ? `for ${printerName(label.printer_id) || 'a printer no longer here'}` : 'any printer')),
      h('button', { type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': `Delete ${label.name}`, onclick: () => deleteSaved(label) }, 'Delete')));
    if (rows.length) {
      replace(savedItems, rows);
    } else if (savedList instanceof Error) {
      replace(savedItems, h('li', { class: 'muted' }, `Saved labels cannot be shown: ${describe(savedList)}`));
    } else {
      replace(savedItems, h('li', { class: 'muted' }, 'None yet: fill in the form and press Save as….'));
    }
  }

  /** Fills the form from a saved label: printer, layout, fields, free text, copies and options. */
  function applySaved(label) {
    const r = label.request || {};
    clearFieldErrors(form);
    let layout = null;
    if (r.text) layout = 'text:free';
    else if (typeof r.content_type === 'string' && catalogue.content_types.some((c) => c.name === r.content_type)) layout = `ct:${r.content_type}`;
    else if (typeof r.template === 'string' && catalogue.templates.some((t) => t.name === r.template)) layout = `tpl:${r.template}`;
    if (!layout) {
      savedNote.textContent = `“${label.name}” uses a layout this form cannot show (an inline template or one this hub no longer has): print it through the API.`;
      return;
    }
    savedNote.textContent = '';
    if (label.printer_id && usable.some((p) => p.id === label.printer_id)) printerSel.value = label.printer_id;
    layoutSel.value = layout;
    const d = r.data || {};
    for (const f of ['primary_id', 'title', 'qr_payload']) controls[f].value = d[f] || '';
    controls.secondary.value = (d.secondary || []).join('\n');
    controls.items.value = (d.items || []).map((i) => i.item).join('\n');
    if (r.text) {
      textLines.value = (r.text.lines || []).join('\n');
      const size = r.text.size_pt ? String(r.text.size_pt) : '';
      if (size && ![...sizeSel.options].some((o) => o.value === size)) sizeSel.append(h('option', { value: size }, `${size} pt`));
      sizeSel.value = size;
      boldBox.checked = Boolean(r.text.bold);
      alignSel.value = r.text.align || 'left';
    }
    copies.value = String(r.copies ?? r.options?.copies ?? 1);
    showGeometry();
    showOptions();
    for (const [k, c] of Object.entries(optionControls)) if (r.options && k in r.options) c.checked = Boolean(r.options[k]);
    showFields();
    savedBox.open = false;
    main.dataset.saved = label.id;
    refreshPreview();
    toast(`Form filled from “${label.name}”.`);
    layoutSel.focus();
  }

  async function deleteSaved(label) {
    if (!(await confirmAction(`Delete the saved label “${label.name}”? This cannot be undone.`, 'Delete'))) return;
    savedNote.textContent = '';
    try {
      await api('DELETE', `/api/saved-labels/${encodeURIComponent(label.id)}`);
      toast(`Deleted “${label.name}”.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.code !== 'saved_label_not_found') {
        savedNote.textContent = `“${label.name}” was not deleted: ${describe(e)}`;
        savedNote.title = `Error code: ${e.code}`;
        savedNote.dataset.code = e.code;
        return;
      }
    }
    saved = saved.filter((x) => x.id !== label.id);
    showSaved();
  }

  form.querySelector('#save-as').addEventListener('click', () => {
    clearFieldErrors(form);
    if (isImage()) {
      showFieldErrors(form, { file: 'A picture cannot be saved: saved labels keep text, codes and layouts. Choose another layout to save.' }, null, nameOf);
      return;
    }
    clearFieldErrors(saveForm);
    forPrinter.nextElementSibling.textContent = `Only for ${currentPrinter()?.name || 'this printer'}`;
    saveDialog.showModal();
    nameInput.focus();
  });

  saveForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(saveForm);
    const body = { name: nameInput.value.trim(), request: jobBody() };
    if (!body.name) {
      showFieldErrors(saveForm, { name: 'Give the label a name.' }, null, nameOf);
      return;
    }
    if (forPrinter.checked) body.printer = printerSel.value;
    const button = saveForm.querySelector('#save-submit');
    button.disabled = true;
    try {
      const label = await post('/api/saved-labels', body);
      saved = [...saved.filter((x) => x.id !== label.id), label]
        .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
      showSaved();
      saveDialog.close();
      nameInput.value = '';
      toast(`Saved as “${label.name}”.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const errors = fieldErrors(e, context());
      // The name's own problems (taken, too long) stay in the dialog; the
      // label's (a missing field, an unknown layout) go next to its fields.
      if ('name' in errors || Object.keys(errors).every((k) => k === '_form')) {
        showFieldErrors(saveForm, errors, e.code, nameOf);
      } else {
        saveDialog.close();
        showFieldErrors(form, errors, e.code, nameOf);
      }
    } finally {
      button.disabled = false;
    }
  });

  for (const el of [printerSel]) el.addEventListener('change', () => { showGeometry(); showOptions(); schedulePreview(); });
  layoutSel.addEventListener('change', () => { showFields(); schedulePreview(); });
  fileInput.addEventListener('change', () => refreshPreview());
  ditherSel.addEventListener('change', () => refreshPreview());
  form.addEventListener('input', (ev) => {
    if (ev.target === controls.secondary) showLines();
    if (!ev.target.closest('.lookup')) schedulePreview();
  });
  ctx.live.addEventListener('printhub-event', onEvent);
  ctx.live.addEventListener('refresh', refetchFollowed);
  showGeometry();
  showOptions();
  showFields();
  showSaved();
  refreshPreview();
  return () => {
    if (saveDialog.open) saveDialog.close();
    ctx.live.removeEventListener('printhub-event', onEvent);
    ctx.live.removeEventListener('refresh', refetchFollowed);
    previewAbort?.abort();
    if (previewUrl) URL.revokeObjectURL(previewUrl);
  };
}

/** Reads a code with the camera (BarcodeDetector), puts it in `input` and runs `then`. */
async function scan(input, then) {
  const video = h('video', { playsinline: true, muted: true, class: 'scan-video', 'aria-label': 'Camera view' });
  const note = h('p', { role: 'status' }, 'Point the camera at the code.');
  const dialog = h('dialog', { class: 'scan', 'aria-label': 'Scan a code' },
    video, note, h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel')));
  document.body.append(dialog);
  let stream = null;
  let done = false;
  dialog.addEventListener('close', () => { done = true; stream?.getTracks().forEach((t) => t.stop()); dialog.remove(); });
  dialog.showModal();
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    await video.play();
    const formats = await window.BarcodeDetector.getSupportedFormats();
    const detector = new window.BarcodeDetector({ formats });
    while (!done) {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length) {
        input.value = codes[0].rawValue;
        dialog.close();
        then();
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    note.textContent = `The camera cannot be used: ${e.message}`;
    toast(`Scanning unavailable: ${e.message}`, 'error');
  }
}
