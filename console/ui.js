// ui.js -- the console's small DOM toolkit: element building (never innerHTML with data,
// so an object key can never become markup), modal dialogs on <dialog> (Escape closes,
// focus returns), a status line for messages and errors, and number/date formatting.

// h -- element tag with attributes (on* are listeners, class/for/hidden handled) and children
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(n < 10 ? 1 : 0) : Math.round(n)} ${units[i]}`;
}

export function fmtDate(s) {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

// errText -- what the user reads for a failure: the S3 code and message
export function errText(e) {
  if (e && e.code) return `${e.code}: ${e.detail || e.message}`;
  return String((e && e.message) || e);
}

let statusTimer = null;
// say -- a message in the status line (kind 'error' stays until the next message)
export function say(text, kind = 'info') {
  const s = document.getElementById('status');
  clear(s, h('span', {}, text), h('button', { class: 'link', 'aria-label': 'Dismiss', onclick: () => clear(s) }, '×'));
  s.className = `status ${kind}`;
  clearTimeout(statusTimer);
  if (kind !== 'error') statusTimer = setTimeout(() => clear(s), 6000);
}

export function sayError(e, what) {
  say(`${what ? what + ' failed — ' : ''}${errText(e)}`, 'error');
}

// dialog -- a modal with title, body nodes and buttons [{label, primary, onclick}]; returns
// {el, close}. A button's onclick may return false to keep the dialog open.
export function dialog(title, body, buttons = [], opts = {}) {
  const prev = document.activeElement;
  const d = h('dialog', { class: `dialog ${opts.wide ? 'wide' : ''}`, 'aria-label': title });
  const close = () => { d.close(); };
  d.addEventListener('close', () => {
    d.remove();
    if (opts.onclose) opts.onclose();
    if (prev && prev.focus) prev.focus();
  });
  const form = h('form', { method: 'dialog' });
  const bar = h('div', { class: 'buttons' });
  for (const b of buttons) {
    bar.append(h('button', {
      type: b.primary ? 'submit' : 'button', class: b.primary ? 'primary' : (b.danger ? 'danger' : ''),
      onclick: async (ev) => {
        ev.preventDefault();
        if (!b.onclick || (await b.onclick()) !== false) close();
      },
    }, b.label));
  }
  bar.append(h('button', { type: 'button', onclick: close }, opts.closeLabel || 'Close'));
  form.append(h('h2', {}, title), h('div', { class: 'dialog-body' }, body), bar);
  d.append(form);
  document.body.append(d);
  d.showModal();
  const first = d.querySelector('input, select, textarea') || d.querySelector('button.primary');
  if (first) first.focus();
  return { el: d, close };
}

// ask -- a dialog with one text field; resolves to the value, or null if cancelled
export function ask(title, label, value = '', okLabel = 'OK') {
  return new Promise((resolve) => {
    let done = false;
    const input = h('input', { type: 'text', value, 'aria-label': label, class: 'wide', spellcheck: 'false' });
    dialog(title, [h('label', {}, label, input)], [{
      label: okLabel, primary: true, onclick: () => { done = true; resolve(input.value); },
    }], { onclose: () => { if (!done) resolve(null); }, closeLabel: 'Cancel' });
  });
}

// confirmDo -- a yes/no dialog; resolves true when confirmed
export function confirmDo(title, text, okLabel = 'Delete') {
  return new Promise((resolve) => {
    let done = false;
    dialog(title, [h('p', {}, text)], [{
      label: okLabel, danger: true, onclick: () => { done = true; resolve(true); },
    }], { onclose: () => { if (!done) resolve(false); }, closeLabel: 'Cancel' });
  });
}

// copyText -- to the clipboard (the async API, else a selected field and execCommand)
export async function copyText(text, field) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    if (field) { field.select(); document.execCommand('copy'); }
  }
  say('Copied to the clipboard.');
}

export function loading(text = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}
