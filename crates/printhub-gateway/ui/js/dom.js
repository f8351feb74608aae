// DOM helpers: build elements from data without innerHTML (text is always text,
// so nothing a printer, job or lookup says can become markup).

/** `h('button', {class: 'x', onclick: f}, 'Label')` → an element. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'for') {
      el.htmlFor = value;
    } else if (key === 'value') {
      el.value = value;
    } else if (key === 'checked' || key === 'selected' || key === 'disabled') {
      el[key] = Boolean(value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form control with a slot for its error (`field-error-<name>`). */
export function field(label, control, { hint, name } = {}) {
  const id = control.id || `f-${name || Math.random().toString(36).slice(2)}`;
  control.id = id;
  const errId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  if (name) control.name = name;
  return h('div', { class: 'field', 'data-field': name || id },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { id: hintId, class: 'hint' }, hint) : null,
    h('small', { id: errId, class: 'error', 'data-error-for': name || id }));
}

/**
 * Shows `errors` ({field: message}) next to the fields of `form`; what no
 * visible field takes goes to the form's top slot (`_form`), named by the
 * field's label. `code` (the API's error code) shows on hover. Focus moves to
 * the first invalid field in the form's order, or to the top message.
 * Nothing is ever dropped: returns the messages that found no slot at all.
 */
export function showFieldErrors(form, errors, code, labelOf = (n) => n) {
  clearFieldErrors(form);
  const top = form.querySelector('[data-error-for="_form"]');
  const atTop = [];
  const lost = [];
  const put = (slot, text) => {
    slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
    if (code) { slot.title = `Error code: ${code}`; slot.dataset.code = code; }
  };
  for (const [name, message] of Object.entries(errors)) {
    const slot = name === '_form' ? null : form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const box = slot?.closest('[hidden]');
    if (!slot || box) {
      if (name === '_form') atTop.push(message); else atTop.push(`${labelOf(name)}: ${message}`);
      continue;
    }
    put(slot, message);
    const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (control) control.setAttribute('aria-invalid', 'true');
  }
  if (atTop.length) {
    if (top) put(top, atTop.join(' ')); else lost.push(...atTop);
  }
  const first = [...form.querySelectorAll('[aria-invalid="true"]')][0];
  if (first) {
    first.focus();
  } else if (top && top.textContent) {
    top.tabIndex = -1;
    top.focus();
  }
  (first || top)?.scrollIntoView?.({ block: 'center' });
  return lost;
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) {
    slot.textContent = '';
    slot.removeAttribute('title');
    delete slot.dataset.code;
  }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/** A short message in the live region. */
export function toast(message, kind = 'info', code = null) {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast ${kind}`, title: code ? `Error code: ${code}` : null, 'data-code': code }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Asks before doing something that cannot be undone; resolves to true on OK. */
export function confirmAction(text, okLabel = 'OK') {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-yes').textContent = okLabel;
  return new Promise((resolve) => {
    const opener = document.activeElement;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      if (opener && opener.isConnected) opener.focus();
    }, { once: true });
    dialog.showModal();
    document.getElementById('confirm-no').focus();
  });
}

/** Calls `fn` once input has been quiet for `ms`. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * How a label preview is shown: raster lines run down the PNG, so a tape
 * label (few dots across, many lines) is turned a quarter to read as printed.
 * Returns a canvas (turned) or a copy of the image, scaled up at most 4×.
 */
export function labelView(img, alt) {
  const w = img.naturalWidth;
  const ht = img.naturalHeight;
  const turn = ht > w * 1.2;
  const view = document.createElement('canvas');
  view.width = turn ? ht : w;
  view.height = turn ? w : ht;
  const g = view.getContext('2d');
  if (turn) {
    g.translate(0, w);
    g.rotate(-Math.PI / 2);
  }
  g.drawImage(img, 0, 0);
  view.className = 'label-view';
  view.style.maxWidth = `${view.width * 4}px`;
  view.setAttribute('role', 'img');
  view.setAttribute('aria-label', alt);
  view.dataset.turned = String(turn);
  return view;
}

/**
 * Runs `redraw` and puts the keyboard focus back on the control that had it
 * (matched by `data-focus-id`), so live updates never pull focus away.
 */
export function keepFocus(redraw) {
  const id = document.activeElement?.dataset?.focusId;
  redraw();
  if (id) document.querySelector(`[data-focus-id="${CSS.escape(id)}"]`)?.focus();
}
