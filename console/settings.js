// settings.js -- one bucket's settings: public read (a bucket policy statement allowing
// s3:GetObject to "*" on arn:aws:s3:::BUCKET/*; turning it off removes that statement, and
// the policy when nothing else is left in it), and CORS rules edited as JSON (the shape
// boto3 uses: [{AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders,
// MaxAgeSeconds}]) and sent as PutBucketCors XML. The console itself needs no CORS rule: it
// is served from the same origin as the API. And the change log (doc/cdc.md): on or off, its
// window and retention, and a link that browses its windows in the view bucket coffer-cdc.
import { clear, errText, h, loading, say, sayError } from './ui.js';

const SID = 'ConsolePublicRead';

function isPublicRead(st, bucket) {
  const list = (x) => (Array.isArray(x) ? x : [x]);
  const p = st.Principal;
  const anyone = p === '*' || (p && list(p.AWS).includes('*'));
  return st.Effect === 'Allow' && anyone && !st.Condition &&
    list(st.Action).some((a) => a === 's3:GetObject' || a === 's3:*') &&
    list(st.Resource).includes(`arn:aws:s3:::${bucket}/*`);
}

export async function showSettings(app, root, bucket) {
  const c = app.client;
  clear(root, h('div', { class: 'page-head' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/' }, 'Buckets'), ' / ',
      h('a', { href: `#/b/${encodeURIComponent(bucket)}/` }, bucket), ' / Settings')), loading('Loading settings…'));

  let policy;
  let rules;
  let cdc;
  try {
    [policy, rules, cdc] = await Promise.all([c.getPolicy(bucket), c.getCors(bucket), c.getCdc(bucket)]);
  } catch (e) {
    root.lastChild.replaceWith(h('p', { class: 'form-error', role: 'alert' }, errText(e)));
    return;
  }
  const statements = () => (policy && Array.isArray(policy.Statement) ? policy.Statement : policy && policy.Statement ? [policy.Statement] : []);
  const pub = h('input', { type: 'checkbox', id: 'public-read', checked: statements().some((s) => isPublicRead(s, bucket)) });
  const pubState = h('p', { class: 'hint', id: 'public-state' });
  const showPub = () => { pubState.textContent = pub.checked ? 'Anyone can read objects (GET without a signature).' : 'Only signed requests can read objects.'; };
  showPub();
  const policyView = h('pre', { class: 'code', id: 'policy-view' });
  const showPolicy = () => { policyView.textContent = policy ? JSON.stringify(policy, null, 2) : '(no bucket policy)'; };
  showPolicy();

  async function savePublic() {
    const others = statements().filter((s) => !isPublicRead(s, bucket));
    const next = pub.checked
      ? { Version: (policy && policy.Version) || '2012-10-17', ...(policy || {}), Statement: [...others, {
        Sid: SID, Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*`,
      }] }
      : (others.length ? { ...policy, Statement: others } : null);
    try {
      if (next) await c.putPolicy(bucket, next);
      else if (policy) await c.deletePolicy(bucket);
      policy = next;
      showPolicy();
      showPub();
      say(pub.checked ? `${bucket} is now publicly readable.` : `${bucket} is now private.`);
    } catch (e) {
      pub.checked = !pub.checked;
      sayError(e, 'Saving public read');
    }
  }

  const corsText = h('textarea', { id: 'cors-json', rows: 12, spellcheck: 'false', class: 'code', 'aria-label': 'CORS rules as JSON' },
    rules.length ? JSON.stringify(rules, null, 2) : '');
  const corsErr = h('p', { class: 'form-error', role: 'alert' });
  async function saveCors(ev) {
    ev.preventDefault();
    clear(corsErr);
    let parsed;
    try {
      parsed = JSON.parse(corsText.value || '[]');
      if (!Array.isArray(parsed)) parsed = parsed.CORSRules;
      if (!Array.isArray(parsed)) throw new Error('expected a list of rules');
    } catch (e) {
      clear(corsErr, `Not valid JSON rules: ${e.message}`);
      return;
    }
    try {
      if (parsed.length) await c.putCors(bucket, parsed);
      else await c.deleteCors(bucket);
      say(parsed.length ? 'CORS rules saved.' : 'CORS rules deleted.');
    } catch (e) {
      clear(corsErr, errText(e));
    }
  }
  async function deleteCors() {
    try {
      await c.deleteCors(bucket);
      corsText.value = '';
      say('CORS rules deleted.');
    } catch (e) {
      clear(corsErr, errText(e));
    }
  }
  function example() {
    corsText.value = JSON.stringify([{ AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['GET', 'HEAD'],
      AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }], null, 2);
    corsText.focus();
  }

  const cdcOn = h('input', { type: 'checkbox', id: 'cdc-enabled', checked: cdc.enabled });
  const cdcWindow = h('input', { type: 'number', id: 'cdc-window', min: 1, max: 86400, value: cdc.window_seconds, 'aria-label': 'Window length in seconds' });
  const cdcDays = h('input', { type: 'number', id: 'cdc-retention', min: 1, max: 3660, step: 'any', value: cdc.retention_seconds / 86400, 'aria-label': 'Retention in days' });
  const cdcErr = h('p', { class: 'form-error', role: 'alert' });
  async function saveCdc(ev) {
    ev.preventDefault();
    clear(cdcErr);
    try {
      cdc = await c.putCdc(bucket, {
        enabled: cdcOn.checked, window_seconds: Number(cdcWindow.value),
        retention_seconds: Math.round(Number(cdcDays.value) * 86400),
      });
      say(cdc.enabled ? `Change log on: a window every ${cdc.window_seconds} s.` : 'Change log off.');
    } catch (e) {
      clear(cdcErr, errText(e));
    }
  }

  root.lastChild.replaceWith(h('div', { class: 'settings' },
    h('section', { class: 'card' }, h('h2', {}, 'Public read'),
      h('label', { class: 'switch' }, pub, ' Anyone may read objects of this bucket'), pubState,
      h('div', { class: 'buttons' }, h('button', { class: 'primary', id: 'save-public', onclick: savePublic }, 'Save')),
      h('details', {}, h('summary', {}, 'Bucket policy'), policyView)),
    h('section', { class: 'card' }, h('h2', {}, 'CORS rules'),
      h('p', { class: 'hint' }, 'Which other web origins may call this bucket from a browser. The console does not need one.'),
      h('form', { onsubmit: saveCors }, corsText, corsErr,
        h('div', { class: 'buttons' },
          h('button', { type: 'submit', class: 'primary', id: 'save-cors' }, 'Save rules'),
          h('button', { type: 'button', onclick: example }, 'Insert an example'),
          h('button', { type: 'button', class: 'danger', onclick: deleteCors }, 'Delete rules')))),
    h('section', { class: 'card' }, h('h2', {}, 'Change log'),
      h('p', { class: 'hint' }, 'Every change of an object as a line of JSON, readable with any S3 client in the bucket coffer-cdc.'),
      h('form', { onsubmit: saveCdc },
        h('label', { class: 'switch' }, cdcOn, ' Log every change of this bucket'),
        h('label', {}, 'Window (seconds) ', cdcWindow), h('label', {}, ' Keep for (days) ', cdcDays), cdcErr,
        h('div', { class: 'buttons' },
          h('button', { type: 'submit', class: 'primary', id: 'save-cdc' }, 'Save'),
          h('a', { href: `#/b/coffer-cdc/${encodeURIComponent(bucket)}/`, id: 'browse-cdc' }, 'Browse the log'))))));
}
