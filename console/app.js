// app.js -- the console's entry point: sign-in (keys kept in sessionStorage only, checked
// by ListBuckets), the header and navigation, and the hash routes that pick a view:
//   #/                     bucket list (buckets.js)
//   #/b/BUCKET/PREFIX      browse a bucket by folders (objects.js)
//   #/s/BUCKET             bucket settings: public read, CORS (settings.js)
//   #/admin                users, keys and live server stats, admins only (admin.js)
import { Client } from './s3.js';
import { clear, errText, h, say } from './ui.js';
import { showBuckets } from './buckets.js';
import { showObjects } from './objects.js';
import { showSettings } from './settings.js';
import { showAdmin, stopAdmin } from './admin.js';

const KEY = 'coffer-console-keys';
const app = { client: null, access: '', isAdmin: false };

function main() { return document.getElementById('main'); }

function savedKeys() {
  try {
    const k = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return k && k.access && k.secret ? k : null;
  } catch {
    return null;
  }
}

// probeAdmin -- an admin may read GET /_coffer/users; anyone else is refused (403)
async function probeAdmin() {
  try {
    await app.client.admin('GET', 'users');
    return true;
  } catch {
    return false;
  }
}

function header() {
  const nav = document.getElementById('nav');
  if (!app.client) {
    clear(nav);
    return;
  }
  clear(nav,
    h('a', { href: '#/' }, 'Buckets'),
    app.isAdmin ? h('a', { href: '#/admin', id: 'nav-admin' }, 'Admin') : null,
    h('span', { class: 'who', title: 'Signed in as' }, app.access),
    h('button', { id: 'signout', onclick: signOut }, 'Sign out'));
}

function signOut() {
  sessionStorage.removeItem(KEY);
  app.client = null;
  app.isAdmin = false;
  stopAdmin();
  header();
  location.hash = '#/';
  showSignIn();
}

function showSignIn(message) {
  const access = h('input', { id: 'access', name: 'access', autocomplete: 'username', required: true, spellcheck: 'false' });
  const secret = h('input', { id: 'secret', name: 'secret', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'form-error', id: 'signin-error', role: 'alert' }, message || '');
  const button = h('button', { type: 'submit', class: 'primary', id: 'signin' }, 'Sign in');
  const form = h('form', {
    class: 'card signin',
    onsubmit: async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      clear(err, 'Signing in…');
      const ok = await signIn(access.value.trim(), secret.value);
      button.disabled = false;
      if (ok !== true) clear(err, ok);
    },
  },
  h('h1', {}, 'Sign in to coffer'),
  h('label', { for: 'access' }, 'Access key'), access,
  h('label', { for: 'secret' }, 'Secret key'), secret,
  err, button,
  h('p', { class: 'hint' }, 'Your keys stay in this browser tab (sessionStorage) and sign each request here; they are never sent.'));
  clear(main(), form);
  access.focus();
}

// signIn -- true, or the error text to show
async function signIn(access, secret) {
  const client = new Client({ access, secret });
  try {
    await client.listBuckets();
  } catch (e) {
    return errText(e);
  }
  sessionStorage.setItem(KEY, JSON.stringify({ access, secret }));
  await start(client, access);
  return true;
}

async function start(client, access) {
  app.client = client;
  app.access = access;
  app.isAdmin = await probeAdmin();
  header();
  route();
}

function route() {
  if (!app.client) return;
  stopAdmin();
  for (const d of document.querySelectorAll('dialog[open]')) d.close(); // a new view: none stays over it
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/(b|s)\/([^/]+)\/?(.*)$/);
  const root = main();
  if (m && m[1] === 'b') showObjects(app, root, decodeURIComponent(m[2]), decodeURIComponent(m[3] || ''));
  else if (m && m[1] === 's') showSettings(app, root, decodeURIComponent(m[2]));
  else if (hash === '#/admin' && app.isAdmin) showAdmin(app, root);
  else showBuckets(app, root);
  document.title = `coffer — ${hash === '#/' ? 'buckets' : hash.slice(2)}`;
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (ev) => {
  say(`Unexpected error — ${errText(ev.reason)}`, 'error');
});

const keys = savedKeys();
if (keys) start(new Client(keys), keys.access);
else showSignIn();
