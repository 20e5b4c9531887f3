/* letterbox.js: accessible forms on static pages; no build, no dependency; never logs what people type.
 * See README "Embed a form". */
(() => {
if (window.Letterbox) return;
const SRC = document.currentScript?.src || location.href;
const TEST_TOKEN = '10000000-aaaa-bbbb-cccc-000000000001';
const T = {
  en: {
    req: 'required', choose: 'Choose…', add: 'Add a link', remove: 'Remove', sending: 'Sending...',
    ref: 'Reference:', thanks: 'Thank you. Your message was sent.', retry: 'Try again', loading: 'Loading the form...',
    offline: 'Could not reach the server. What you typed is kept: check your connection and try again.',
    busy: 'The service is busy. What you typed is kept: try again soon.',
    failed: 'The form could not load. Reload the page to try again.', human: 'Please confirm that you are human.',
    refused: 'This site is not allowed to send this form. Please tell the site\'s organizers.',
    test: 'Test captcha (local only)', testBox: 'I am human (hCaptcha cannot load offline)',
    wall: 'The wall could not load. Reload the page to try again.',
  },
  ru: {
    req: 'обязательно', choose: 'Выберите…', add: 'Добавить ссылку', remove: 'Удалить', sending: 'Отправка...',
    ref: 'Номер:', thanks: 'Спасибо! Сообщение отправлено.', retry: 'Попробовать ещё раз', loading: 'Загрузка формы...',
    offline: 'Нет связи с сервером. Введённое сохранено: проверьте связь и попробуйте ещё раз.',
    busy: 'Сервис занят. Введённое сохранено: попробуйте позже.',
    failed: 'Форма не загрузилась. Обновите страницу.', human: 'Подтвердите, что вы человек.',
    refused: 'Этому сайту не разрешено отправлять эту форму. Сообщите организаторам сайта.',
    test: 'Тестовая капча (только локально)', testBox: 'Я человек (hCaptcha не грузится без сети)',
    wall: 'Стена не загрузилась. Обновите страницу.',
  },
};
const CSS = `.lb-f,.lb fieldset{margin:0 0 1.2rem;padding:0;border:0}
.lb label,.lb legend{display:block;font-weight:600}.lb-help,.lb-req{color:#555;font-weight:400;margin:0 0 .3rem}
.lb input,.lb select,.lb textarea{box-sizing:border-box;width:100%;font:inherit;font-size:max(1em,16px);padding:.5rem;border:2px solid #555}
.lb-ck{display:flex;gap:.5rem}.lb-ck label{font-weight:400}.lb-ck input{width:1.5rem;height:1.5rem;flex:none}
.lb ul{list-style:none;padding:0;display:grid;gap:.5rem}.lb li{display:flex;flex-wrap:wrap;gap:.5rem}.lb li input{flex:1 1 0}.lb button,.lb-retry{font:inherit;min-height:2.75rem}
.lb-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}.lb-hp{position:absolute;left:-9999px}
.lb-err{font-weight:600;flex:1 0 100%}[data-lb] [aria-invalid=true]{border-color:#b00020}
.lb-status:not(:empty){padding:.5rem;border-left:4px solid}.lb-ok{color:#176b2c}.lb-bad,.lb-err{color:#b00020}
fieldset.lb-test{border:2px dashed #a35c00;background:#fff8e5;padding:.7rem}`;
const defs = {};
// An Idempotency-Key that carries its time (a ULID), so the API finds a first attempt with one read.
const ulid = () => {
  const digits = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let time = Date.now();
  let head = '';
  for (let i = 0; i < 10; i += 1, time = Math.floor(time / 32)) head = digits[time % 32] + head;
  return head + [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => digits[byte % 32]).join('');
};
let seq = 0;
const h = (tag, attrs, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'on') el.addEventListener('click', v);
    else if (v != null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...kids.filter((kid) => kid));
  return el;
};
const langOf = (el) => (/^ru/i.test(el.dataset.lang || document.documentElement.lang) ? 'ru' : 'en');
const text = (node, key, lang) => ((node['x-labels'] || {})[lang] || {})[key] || node[key];
const pick = (byLang, lang) => (byLang || {})[lang] || (byLang || {}).en;
const definition = (url) => defs[url] || (defs[url] = fetch(url, { credentials: 'omit' })
  .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
  .catch((e) => { delete defs[url]; throw e; }));
// hCaptcha's script calls back a global by name (cb), deleted once called.
const load = (src, cb, type) => defs[src] || (defs[src] = new Promise((ok, fail) => {
  if (cb) window[cb] = () => { delete window[cb]; ok(); };
  document.head.append(Object.assign(h('script', { src, type }), { onload: !cb && ok, onerror: () => { delete defs[src]; fail(); } }));
}));
const HC = 'h-captcha-response';
// ALTCHA's widget (altcha.js, next to this script) fetches its challenge from the form's API; solved at Send
// if not before. Its answer is kept through a failed attempt: a retry sends it again, and the API knows it.
function altcha(base, lang) {
  const w = h('altcha-widget', { challenge: `${base}/challenge`, language: lang, name: 'altcha' });
  let up = 0; // its methods are there once it says 'load'
  w.addEventListener('load', () => { up = 1; }, { once: true });
  // A script that cannot load fails the attempt (Try again loads it again), never hangs the Send.
  const script = () => load(new URL('altcha.js', SRC), 0, 'module')
    .then(() => lang !== 'en' && load(new URL(`altcha-${lang}.js`, SRC), 0, 'module'));
  script().catch(() => {});
  const el = h('div', { class: 'lb-f', tabindex: -1 }, w);
  const done = () => w.getState() === 'verified';
  return { el, focus: el, field: 'altcha', keep: true, reset: () => up && w.reset(), token: async () => {
    await script();
    await new Promise((ok) => (up ? ok() : w.addEventListener('load', ok, { once: true })));
    if (!done()) await w.verify();
    return (done() && w.querySelector('[name=altcha]') || {}).value || '';
  } };
}
// {el, focus, field, token(), reset(), keep}, or null: the form has no captcha.
function captchaFor(def, t, lang, base) {
  const c = def.captcha || {};
  if (!c.enabled) return null;
  if (c.provider === 'altcha') return altcha(base, lang);
  if (c.test_keys) {
    const box = h('input', { type: 'checkbox', id: `lb${++seq}` });
    const el = h('fieldset', { class: 'lb-test' }, h('legend', {}, t.test), h('div', { class: 'lb-ck' }, box, h('label', { for: box.id }, t.testBox)));
    return { el, focus: box, field: HC, token: () => (box.checked ? TEST_TOKEN : ''), reset: () => { box.checked = false; } };
  }
  const el = h('div', { class: 'lb-f', tabindex: -1 });
  let id = null;
  const cb = '__letterboxHcaptchaLoaded';
  Promise.resolve(window.hcaptcha || load(`https://js.hcaptcha.com/1/api.js?render=explicit&hl=${lang}&onload=${cb}`, cb))
    .then(() => { id = window.hcaptcha.render(el, { sitekey: c.sitekey, hl: lang }); }, () => el.append(h('p', { role: 'alert' }, t.failed)));
  return { el, focus: el, field: HC, token: () => (id == null ? '' : window.hcaptcha.getResponse(id)), reset: () => id != null && window.hcaptcha.reset(id) };
}
function control(name, p, id, o, help) {
  const attrs = { id, name, 'aria-describedby': help };
  const labels = pick(p['x-enum-labels'], o.lang) || {};
  if (p.enum) return h('select', attrs, h('option', { value: '' }, o.t.choose), ...p.enum.map((v) => h('option', { value: v }, labels[v] || v)));
  if (p['x-widget'] === 'textarea') return h('textarea', { ...attrs, rows: 6, maxlength: p.maxLength });
  if (p.type === 'boolean') return h('input', { ...attrs, type: 'checkbox', value: 'true', checked: p.default === true });
  const type = { date: 'date', email: 'email', uri: 'url' }[p.format] || 'text';
  return h('input', { ...attrs, type, maxlength: p.maxLength, inputmode: p.type === 'integer' && 'numeric', autocomplete: type === 'email' && 'email' });
}
function listField(form, name, p, label, help, o) {
  const items = h('ul', {});
  const add = h('button', { type: 'button', on: () => addItem().focus() }, o.t.add);
  const renumber = () => {
    [...items.children].forEach((li, i) => {
      li.firstChild.textContent = `${label} ${i + 1}`;
      li.lastChild.setAttribute('aria-label', `${o.t.remove}: ${label} ${i + 1}`);
    });
    add.hidden = items.children.length >= (p.maxItems || 20);
  };
  const addItem = () => {
    const input = control(name, p.items || {}, `lb${++seq}`, o, help && help.id);
    const li = h('li', {}, h('label', { for: input.id, class: 'lb-sr' }), input, h('button', { type: 'button', on: () => {
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      renumber();
      (next ? next.children[1] : add).focus();
    } }, o.t.remove));
    items.append(li);
    renumber();
    return input;
  };
  addItem();
  form.addEventListener('reset', () => { while (items.children[1]) items.lastChild.remove(); renumber(); });
  return h('fieldset', {}, h('legend', {}, label), help, items, add);
}
// Render mode builds the form from the schema, then takes it over as a hand-written one.
function build(root, def, o, action) {
  const { schema } = def;
  const form = h('form', { class: 'lb', action, method: 'post', 'data-lb': true, 'data-lang': root.dataset.lang });
  form.append(h('h2', {}, pick(def.title, o.lang)), h('p', {}, text(schema, 'description', o.lang)));
  for (const [name, p] of Object.entries(schema.properties)) {
    const id = `lb${++seq}`;
    const label = text(p, 'title', o.lang) || name;
    const about = text(p, 'description', o.lang);
    const help = about && h('p', { class: 'lb-help', id: id + 'h' }, about);
    if (p['x-widget'] === 'attachments') {
      const box = form.appendChild(h('div', { class: 'lb-f' }));
      const recipients = def.encryption && def.encryption.recipients;
      // letterbox-files.js's interface. Letterbox.files({...}) gets the field's box, name, schema, label and help, the
      // language, the element builder h, and an encrypted form's age keys (letterbox-age.js encrypts each file before
      // upload). It sets form.lbFiles: ready(say) waits for the uploads and answers a problem if one failed;
      // errors(list, shown) puts /name/n errors on file n's row and answers the others; sealed() describes an
      // encrypted form's files, whose names and types travel encrypted only.
      load(new URL('letterbox-files.js', SRC))
        .then(() => window.Letterbox.files({ box, name, prop: p, label, help, lang: o.lang, el: h, recipients }), () => box.append(o.t.failed));
    }
    if ((p['x-widget'] || 'textarea') !== 'textarea') continue;
    if (p.type === 'array') {
      form.append(listField(form, name, p, label, help, o));
      continue;
    }
    const req = (schema.required || []).includes(name);
    const input = control(name, p, id, o, help && help.id);
    if (req) input.setAttribute('aria-required', (input.required = true));
    const tag = h('label', { for: id }, label, req && h('span', { class: 'lb-req', 'aria-hidden': 'true' }, ` (${o.t.req})`));
    form.append(h('div', { class: 'lb-f' }, ...(p.type === 'boolean' ? [h('div', { class: 'lb-ck' }, input, tag), help] : [tag, help, input])));
  }
  // The honeypot: out of sight, out of the tab order, hidden from screen readers.
  form.append(h('div', { class: 'lb-hp', 'aria-hidden': 'true' }, h('input', { name: '_gotcha', tabindex: -1, autocomplete: 'off' })),
    h('div', { 'data-letterbox-captcha': true }), h('button', {}, pick((schema['x-letterbox'] || {}).submit, o.lang) || 'Send'));
  root.replaceChildren(form);
  return form;
}
// The body in the schema's types; empty fields left out.
function collect(form, props) {
  const data = { _gotcha: '' };
  const els = [...form.elements].filter((el) => !el.disabled && (props[el.name] || el.name === '_gotcha'));
  for (const name of new Set(els.map((el) => el.name))) {
    const p = props[name] || {};
    const given = els.filter((el) => el.name === name && (el.checked || !/^(checkbox|radio)$/.test(el.type)) && el.value.trim());
    const value = (el) => {
      const v = p.format || (p.items || {}).format ? el.value.trim() : el.value;
      return p.type === 'integer' && /^\s*-?\d+\s*$/.test(v) ? +v : v;
    };
    if (p.type === 'boolean') data[name] = given.length > 0;
    else if (given[0]) data[name] = p.type === 'array' ? given.map(value) : value(given.pop());
  }
  return data;
}
// Shows errors next to their fields, focuses the first; returns the others.
function showErrors(ctx, errors) {
  const { form } = ctx;
  form.querySelectorAll('.lb-err').forEach((err) => err.remove());
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.setAttribute('aria-describedby', (el.getAttribute('aria-describedby') || '').replace(/lb-e\d+ ?/g, ''));
  }
  const stray = [];
  const shown = [];
  for (const { field, message } of form.lbFiles ? form.lbFiles.errors(errors, shown) : errors) {
    // "/links/1" is the second link sent: the second filled-in input named links.
    const [, name, i] = field.split('/');
    const named = [...form.elements].filter((e) => e.name === name && e.type !== 'hidden');
    const el = ctx.captcha && name === ctx.captcha.field ? ctx.captcha.focus : i ? named.filter((e) => e.value.trim())[i] : named[0];
    if (!el) {
      stray.push(message);
      continue;
    }
    const err = h('p', { class: 'lb-err', id: `lb-e${++seq}` }, message);
    ((el.type === 'checkbox' && el.closest('.lb-ck,label')) || el).before(err);
    el.setAttribute('aria-invalid', true);
    el.setAttribute('aria-describedby', `${err.id} ${el.getAttribute('aria-describedby') || ''}`);
    shown.push(el);
  }
  shown.sort((a, b) => (a.compareDocumentPosition(b) & 2 ? 1 : -1));
  if (shown[0]) shown[0].focus();
  return stray;
}
async function send(ctx) {
  const { form, t, lang, button, status, retry, captcha: c } = ctx;
  const say = (message, kind) => { status.className = `lb-status ${kind}`; status.textContent = message; };
  if (ctx.busy) return;
  ctx.busy = button.disabled = retry.hidden = true;
  let code = 0;
  let body = {};
  try {
    const { schema } = await ctx.load();
    const wait = form.lbFiles && await form.lbFiles.ready(say);
    const data = collect(form, schema.properties);
    const sealedFiles = form.lbFiles && form.lbFiles.sealed();
    if (sealedFiles) data._files = sealedFiles;
    ctx.success = pick((schema['x-letterbox'] || {}).success, lang) || t.thanks;
    if (!wait) say(t.sending, '');
    if (c && !wait) data[c.field] = await c.token();
    if (wait || (c && !data[c.field])) {
      code = 400;
      body = wait || { title: t.human, errors: [{ field: `/${c.field}`, message: t.human }] };
    } else {
      // One key until a definite answer: a retry never stores a second copy.
      ctx.key = ctx.key || ulid();
      const res = await fetch(ctx.action, {
        method: 'POST', credentials: 'omit', body: JSON.stringify(data), signal: AbortSignal.timeout && AbortSignal.timeout(60000),
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Language': lang, 'Idempotency-Key': ctx.key },
      }).finally(() => c && !c.keep && c.reset());
      code = res.status;
      body = await res.json().catch(() => ({}));
    }
  } catch {
    code = 0; // offline, timed out or refused
  }
  ctx.busy = button.disabled = false;
  const stray = showErrors(ctx, (code < 500 && body.errors) || []);
  // A kept answer (ALTCHA's) is spent by a success, or refused: only then is a new one solved.
  if (c && c.keep && ((code && code < 300) || (body.errors || []).some((e) => e.field === `/${c.field}`))) c.reset();
  if (code && code < 300) {
    ctx.key = null;
    form.reset();
    say(`${ctx.success} ${t.ref} ${body.id}`, 'lb-ok');
  } else if (!code || code > 499 || code === 429) {
    say(code ? t.busy : t.offline, 'lb-bad');
    retry.hidden = false;
  } else {
    say([body.title, body.detail, ...stray].filter(Boolean).join('. ').replace(/\.\./g, '.'), 'lb-bad');
  }
}
function enhance(form) {
  const lang = langOf(form);
  const t = T[lang];
  // The action may end in ?lang=… (the page's language for a post without JavaScript): fetch sends Accept-Language.
  const match = /^(.*\/forms\/[^/?#]+)\/submissions\/?(?:\?[^#]*)?$/.exec(form.action);
  if (!match) return;
  form.noValidate = true;
  const button = form.querySelector('button:not([type]),[type=submit]');
  const ctx = { form, lang, t, button, action: `${match[1]}/submissions`, status: h('p', { class: 'lb-status', role: 'status', 'aria-live': 'polite' }) };
  ctx.retry = h('button', { type: 'button', class: 'lb-retry', hidden: true, on: () => send(ctx) }, t.retry);
  button.after(ctx.status, ctx.retry);
  ctx.load = () => definition(match[1]).then((def) => {
    if (!('captcha' in ctx)) {
      const c = (ctx.captcha = captchaFor(def, t, lang, match[1]));
      const slot = form.querySelector('[data-letterbox-captcha]');
      if (c) {
        // The hidden token is for posts without JavaScript.
        form.querySelectorAll('[type=hidden][name=h-captcha-response]').forEach((el) => el.remove());
        if (slot) slot.append(c.el); else button.before(c.el);
      }
    }
    return def;
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); send(ctx); });
  ctx.load().catch((code) => {
    // The API lets any page read a refusal of its origin: say so before anyone types.
    if (code === 403) { ctx.status.className = 'lb-status lb-bad'; ctx.status.textContent = t.refused; }
  });
}
const formUrl = (root, name) => `${(root.dataset.endpoint || '').replace(/\/+$/, '')}/forms/${encodeURIComponent(name)}`;
async function render(root) {
  const o = { lang: langOf(root) };
  o.t = T[o.lang];
  const base = formUrl(root, root.dataset.letterboxForm);
  const note = h('p', { role: 'status' }, o.t.loading);
  root.replaceChildren(note);
  try {
    enhance(build(root, await definition(base), o, `${base}/submissions`));
  } catch (e) {
    note.textContent = e === 403 ? o.t.refused : o.t.failed;
  }
}
// letterbox-wall.js's interface, loaded only for a wall: Letterbox.wall({ root, base, lang, el, definition }) renders
// the form's public wall in root, with the element builder h and the cached definition(url) (for the labels).
function wall(root) {
  const lang = langOf(root);
  load(new URL('letterbox-wall.js', SRC))
    .then(() => window.Letterbox.wall({ root, base: formUrl(root, root.dataset.letterboxWall), lang, el: h, definition }), () => root.append(T[lang].wall));
}
function init(scope) {
  const found = (scope || document).querySelectorAll('[data-letterbox-form]:not([data-lb]),form[data-letterbox]:not([data-lb]),[data-letterbox-wall]:not([data-lb])');
  if (found[0] && !document.getElementById('letterbox-css')) document.head.append(h('style', { id: 'letterbox-css' }, CSS));
  for (const el of found) {
    el.setAttribute('data-lb', '');
    if (el.matches('form')) enhance(el); else if (el.dataset.letterboxWall) wall(el); else render(el);
  }
}
window.Letterbox = { init };
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => init());
else init();
})();
