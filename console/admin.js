// admin.js -- for admin users: users and their keys through the admin API
// (/_coffer/users: list, create -- the secret shown once --, disable/enable, make or revoke
// admin, rotate the secret, delete) and the server's stats, polled every POLL_MS from
// GET /_coffer/stats and drawn as requests/s and bytes/s on a <canvas> (no library).
import { clear, confirmDo, copyText, dialog, errText, fmtBytes, h, loading, say, sayError } from './ui.js';

const POLL_MS = 2000;
const HISTORY = 60; // points on the chart: two minutes
let timer = null;

export function stopAdmin() {
  clearInterval(timer);
  timer = null;
}

function showSecret(user) {
  const field = h('input', { readonly: true, id: 'new-secret', class: 'wide', value: user.secret_key, 'aria-label': 'Secret key' });
  dialog('Save this secret key now', [
    h('p', {}, 'It is shown only this once. Access key: ', h('code', { id: 'new-access' }, user.access_key)), field,
  ], [{ label: 'Copy secret', primary: true, onclick: async () => { await copyText(field.value, field); return false; } }]);
}

async function showUsers(app, box) {
  const c = app.client;
  const tbody = h('tbody', {});
  const name = h('input', { id: 'user-name', placeholder: 'Display name', 'aria-label': 'Display name' });
  const key = h('input', { id: 'user-key', placeholder: 'Access key (optional)', 'aria-label': 'Access key (optional)', spellcheck: 'false' });
  const admin = h('input', { type: 'checkbox', id: 'user-admin' });
  const form = h('form', {
    class: 'toolbar',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const body = { name: name.value.trim(), admin: admin.checked };
      if (key.value.trim()) body.access_key = key.value.trim();
      try {
        const u = await c.admin('POST', 'users', body);
        name.value = key.value = '';
        admin.checked = false;
        showSecret(u);
        await refresh();
      } catch (e) {
        sayError(e, 'Create user');
      }
    },
  }, name, key, h('label', {}, admin, ' Admin'), h('button', { type: 'submit', class: 'primary', id: 'create-user' }, 'Create user'));

  const act = (label, fn, cls) => h('button', { class: cls || '', onclick: async () => {
    try {
      await fn();
      await refresh();
    } catch (e) {
      sayError(e, label);
    }
  } }, label);

  async function refresh() {
    let users;
    try {
      users = (await c.admin('GET', 'users')).users;
    } catch (e) {
      clear(tbody, h('tr', {}, h('td', { colspan: 4, class: 'form-error' }, errText(e))));
      return;
    }
    clear(tbody, users.map((u) => {
      const path = `users/${encodeURIComponent(u.access_key)}`;
      const self = u.access_key === app.access;
      return h('tr', { 'data-user': u.access_key },
        h('td', {}, h('code', {}, u.access_key), self ? h('span', { class: 'muted' }, ' (you)') : null),
        h('td', { class: 'wide-only' }, u.name || ''),
        h('td', {}, [u.admin ? 'admin' : 'user', u.disabled ? ', disabled' : ''].join('')),
        h('td', { class: 'actions' },
          self ? null : act(u.disabled ? 'Enable' : 'Disable', () => c.admin('PATCH', path, { disabled: !u.disabled })),
          self ? null : act(u.admin ? 'Revoke admin' : 'Make admin', () => c.admin('PATCH', path, { admin: !u.admin })),
          act('Rotate secret', async () => {
            if (!(await confirmDo('Rotate secret', `The old secret of ${u.access_key} stops working at once.`, 'Rotate'))) return;
            const r = await c.admin('POST', `${path}/rotate`);
            if (self) { // our own secret changed: sign the next requests with the new one
              c.creds.secret = r.secret_key;
              sessionStorage.setItem('coffer-console-keys', JSON.stringify(c.creds));
            }
            showSecret(r);
          }),
          self ? null : act('Delete', async () => {
            if (!(await confirmDo('Delete user', `Delete ${u.access_key}? Their buckets must be deleted or given away first.`))) return;
            await c.admin('DELETE', path);
            say(`User ${u.access_key} deleted.`);
          }, 'danger')));
    }));
  }

  clear(box, h('h2', {}, 'Users and keys'), form,
    h('table', { class: 'table', id: 'users' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Access key'), h('th', { class: 'wide-only' }, 'Name'), h('th', {}, 'Role'),
        h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))), tbody));
  await refresh();
}

// draw -- two lines (requests/s, bytes/s) each scaled to its own maximum, the newest point
// at the right edge
function draw(canvas, points) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width = canvas.clientWidth * devicePixelRatio;
  const hgt = canvas.height = canvas.clientHeight * devicePixelRatio;
  ctx.clearRect(0, 0, w, hgt);
  const styles = getComputedStyle(canvas);
  const series = [['rps', styles.getPropertyValue('--chart-a') || '#2563eb'], ['bps', styles.getPropertyValue('--chart-b') || '#16a34a']];
  for (const [field, color] of series) {
    const max = Math.max(1, ...points.map((p) => p[field]));
    ctx.strokeStyle = color.trim();
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    points.forEach((p, i) => {
      const x = w - ((points.length - 1 - i) / (HISTORY - 1)) * w;
      const y = hgt - (p[field] / max) * (hgt - 8 * devicePixelRatio) - 4 * devicePixelRatio;
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.stroke();
  }
}

function showStats(app, box) {
  const canvas = h('canvas', { id: 'stats-chart', class: 'chart', 'aria-label': 'Requests and bytes per second' });
  const figures = h('dl', { class: 'details', id: 'stats-figures' });
  const rates = h('p', { class: 'legend' });
  clear(box, h('h2', {}, 'Server'), rates, canvas, figures);
  const points = [];
  let last = null;
  async function poll() {
    let s;
    try {
      s = await app.client.admin('GET', 'stats');
    } catch (e) {
      clear(figures, h('dd', { class: 'form-error' }, errText(e)));
      return;
    }
    const now = performance.now();
    const bytes = (s.bytes_in || 0) + (s.bytes_out || 0);
    if (last) {
      const dt = (now - last.t) / 1000;
      points.push({ rps: Math.max(0, ((s.requests_total || 0) - last.req) / dt), bps: Math.max(0, (bytes - last.bytes) / dt) });
      if (points.length > HISTORY) points.shift();
    }
    last = { t: now, req: s.requests_total || 0, bytes };
    const p = points[points.length - 1] || { rps: 0, bps: 0 };
    clear(rates, h('span', { class: 'key-a' }, `${p.rps.toFixed(1)} requests/s`), ' · ',
      h('span', { class: 'key-b' }, `${fmtBytes(p.bps)}/s`));
    draw(canvas, points);
    const rows = [
      ['Uptime', s.uptime_seconds !== undefined ? `${Math.round(s.uptime_seconds)} s` : '—'],
      ['Open connections', s.connections_open], ['Requests', s.requests_total],
      ['Bytes in', fmtBytes(s.bytes_in)], ['Bytes out', fmtBytes(s.bytes_out)], ['Memory (RSS)', fmtBytes(s.rss_bytes)],
      ['Bytes accepted', fmtBytes(s.bytes_accepted)], ['Blob write amplification', s.blob_write_amplification === undefined ? undefined : Number(s.blob_write_amplification).toFixed(3)],
    ];
    clear(figures, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === undefined || v === '' ? '—' : String(v))]));
  }
  poll();
  timer = setInterval(poll, POLL_MS);
}

export async function showAdmin(app, root) {
  const users = h('section', { class: 'card' }, loading('Loading users…'));
  const stats = h('section', { class: 'card' });
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Admin')), users, stats);
  showStats(app, stats);
  await showUsers(app, users);
}
