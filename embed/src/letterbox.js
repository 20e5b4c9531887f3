/* letterbox.js: accessible forms on static pages; no dependency; never logs what people type. Its texts come with
 * the form's definition (GET /forms/{form}), in the page's language. `make embed` builds embed/letterbox.js from
 * this file (comments and spaces removed). See README "Embed a form". */
(() => {
  if (window.Letterbox) return;
  const SCRIPT_URL = document.currentScript?.src || location.href;
  const TEST_TOKEN = '10000000-aaaa-bbbb-cccc-000000000001';
  const HCAPTCHA_FIELD = 'h-captcha-response';
  // The one text not from the API: when it never answered, no text in the page's language could come.
  const NO_ANSWER = 'Could not reach the server. Check your connection and try again.';
  const CSS = `.lb-f,.lb fieldset{margin:0 0 1.2rem;padding:0;border:0}
.lb label,.lb legend{display:block;font-weight:600}.lb-help,.lb-req{color:#555;font-weight:400;margin:0 0 .3rem}
.lb input,.lb select,.lb textarea{box-sizing:border-box;width:100%;font:inherit;font-size:max(1em,16px);
padding:.5rem;border:2px solid #555}
.lb-ck{display:flex;gap:.5rem}.lb-ck label{font-weight:400}.lb-ck input{width:1.5rem;height:1.5rem;flex:none}
.lb ul{list-style:none;padding:0;display:grid;gap:.5rem}.lb li{display:flex;flex-wrap:wrap;gap:.5rem}
.lb li input{flex:1 1 0}.lb button,.lb-retry{font:inherit;min-height:2.75rem}
.lb-sr,.lb-hp{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
.lb-err{font-weight:600;flex:1 0 100%;margin:.2rem 0}[data-lb] [aria-invalid=true]{border-color:#b00020}
.lb-status:not(:empty){padding:.5rem;border-inline-start:4px solid}.lb-ok{color:#176b2c}.lb-bad,.lb-err{color:#b00020}
fieldset.lb-test{border:2px dashed #a35c00;background:#fff8e5;padding:.7rem}`;
  const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/; // the API's check is stricter (email-validator's syntax)
  const WEB_ADDRESS = /^https?:\/\/[^\s/?#]+\S*$/i;
  const loaded = {}; // definitions (by address and language) and scripts: each fetched once
  const fileFields = new WeakMap(); // a form's file field (letterbox-files.js), once loaded
  let lastId = 0;
  const newId = () => `lb${++lastId}`;
  // An Idempotency-Key that carries its time (a ULID), so the API finds a first attempt with one read.
  const ulid = () => {
    const digits = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    let time = Date.now();
    let head = '';
    for (let i = 0; i < 10; i += 1, time = Math.floor(time / 32)) head = digits[time % 32] + head;
    return head + [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => digits[byte % 32]).join('');
  };
  const element = (tag, attributes, ...children) => {
    const made = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === 'on') made.addEventListener('click', value);
      else if (value != null && value !== false) made.setAttribute(name, value === true ? '' : value);
    }
    made.append(...children.filter((child) => child));
    return made;
  };
  // The page's language as Accept-Language takes it ("ru" of "ru_RU"); the API answers in the nearest it has.
  const pageLanguage = (el) =>
    /^[a-z]{1,8}(-[a-z0-9]{1,8})*/i.exec(el.dataset.lang || document.documentElement.lang)?.[0] || 'en';
  const labelOf = (node, key, lang) => ((node['x-labels'] || {})[lang] || {})[key] || node[key];
  const inLanguage = (byLanguage, lang) => (byLanguage || {})[lang] || (byLanguage || {}).en;
  // The definition's texts: text('key', { name: value }) fills in each {name}; a {count} picks its plural form.
  const textsOf = (def) => {
    const plural = new Intl.PluralRules(def.lang);
    return (key, values = {}) => {
      let found = (def.texts || {})[key] ?? key;
      if (typeof found === 'object') {
        // Each form comes under a count that takes it: the language's CLDR rules name it here.
        const forms = {};
        for (const [count, form] of Object.entries(found)) forms[plural.select(+count)] = form;
        found = forms[plural.select(values.count)] ?? forms.other ?? Object.values(found)[0];
      }
      return found.replace(/\{(\w+)\}/g, (all, name) => values[name] ?? all);
    };
  };
  // Rejects with the API's problem (its status, title and detail in the page's language), or a TypeError if unreached.
  const definition = (url, lang) =>
    (loaded[`${url} ${lang}`] ||= fetch(url, { credentials: 'omit', headers: { 'Accept-Language': lang } })
      .then(async (response) => {
        const body = await response.json().catch(() => ({}));
        if (!response.ok) throw body;
        return Object.assign(body, { text: textsOf(body) });
      })
      .catch((problem) => {
        delete loaded[`${url} ${lang}`];
        throw problem;
      }));
  // hCaptcha's script calls back a global by name (callback), deleted once called.
  const loadScript = (src, callback, type) =>
    (loaded[src] ||= new Promise((resolve, reject) => {
      if (callback)
        window[callback] = () => {
          delete window[callback];
          resolve();
        };
      const script = element('script', { src, type });
      script.onload = callback ? null : resolve;
      script.onerror = () => {
        delete loaded[src];
        reject();
      };
      document.head.append(script);
    }));
  // ALTCHA's widget (altcha.js, next to this script) fetches its challenge from the form's API; solved at Send
  // if not before. Its answer is kept through a failed attempt: a retry sends it again, and the API knows it.
  function altchaCaptcha(base, lang) {
    // The widget knows French and Spanish as fr-fr and es-es (embed/altcha-fr-fr.js, …).
    const locale = { fr: 'fr-fr', es: 'es-es' }[lang] || lang;
    const widget = element('altcha-widget', { challenge: `${base}/challenge`, language: locale, name: 'altcha' });
    let ready = false; // its methods are there once it says 'load'
    widget.addEventListener('load', () => (ready = true), { once: true });
    // A script that cannot load fails the attempt (Try again loads it again), never hangs the Send. Its texts in
    // the page's language where embed/ has them (altcha-ru.js, …), else its English.
    const scripts = () =>
      loadScript(new URL('altcha.js', SCRIPT_URL), 0, 'module').then(
        () => lang !== 'en' && loadScript(new URL(`altcha-${locale}.js`, SCRIPT_URL), 0, 'module').catch(() => {}),
      );
    scripts().catch(() => {});
    const box = element('div', { class: 'lb-f', tabindex: -1 }, widget);
    const verified = () => widget.getState() === 'verified';
    return {
      box,
      focus: box,
      field: 'altcha',
      keepsAnswer: true,
      missing: () => false, // Send solves it
      reset: () => ready && widget.reset(),
      async token() {
        await scripts();
        await new Promise((resolve) => (ready ? resolve() : widget.addEventListener('load', resolve, { once: true })));
        if (!verified()) await widget.verify();
        return (verified() && widget.querySelector('[name=altcha]')?.value) || '';
      },
    };
  }
  function hcaptchaCaptcha(sitekey, lang, text) {
    const box = element('div', { class: 'lb-f', tabindex: -1 });
    const callback = '__letterboxHcaptchaLoaded';
    let widgetId = null;
    const api = `https://js.hcaptcha.com/1/api.js?render=explicit&hl=${lang}&onload=${callback}`;
    (window.hcaptcha ? Promise.resolve() : loadScript(api, callback)).then(
      () => (widgetId = window.hcaptcha.render(box, { sitekey, hl: lang })),
      () => box.append(element('p', { role: 'alert' }, text('load_failed'))),
    );
    const token = () => (widgetId == null ? '' : window.hcaptcha.getResponse(widgetId));
    const reset = () => widgetId != null && window.hcaptcha.reset(widgetId);
    return { box, focus: box, field: HCAPTCHA_FIELD, token, missing: () => !token(), reset };
  }
  // hCaptcha's test keys (the local stack): its widget cannot load offline, so a labelled box gives the test token.
  function testCaptcha(text) {
    const tick = element('input', { type: 'checkbox', id: newId() });
    const label = element('label', { for: tick.id }, text('test_captcha_box'));
    const legend = element('legend', {}, text('test_captcha'));
    const box = element('fieldset', { class: 'lb-test' }, legend, element('div', { class: 'lb-ck' }, tick, label));
    const token = () => (tick.checked ? TEST_TOKEN : '');
    return {
      box,
      focus: tick,
      field: HCAPTCHA_FIELD,
      token,
      missing: () => !tick.checked,
      reset: () => (tick.checked = false),
    };
  }
  // {box, focus, field, token(), missing(), reset(), keepsAnswer}, or null: the form has no captcha.
  function captchaFor(def, base) {
    const settings = def.captcha || {};
    if (!settings.enabled) return null;
    if (settings.provider === 'altcha') return altchaCaptcha(base, def.lang);
    return settings.test_keys ? testCaptcha(def.text) : hcaptchaCaptcha(settings.sitekey, def.lang, def.text);
  }
  function control(name, prop, id, def, helpId) {
    const attributes = { id, name, 'aria-describedby': helpId };
    if (prop.enum) {
      const labels = inLanguage(prop['x-enum-labels'], def.lang) || {};
      const options = prop.enum.map((value) => element('option', { value }, labels[value] || value));
      return element('select', attributes, element('option', { value: '' }, def.text('choose')), ...options);
    }
    if (prop['x-widget'] === 'textarea')
      return element('textarea', { ...attributes, rows: 6, maxlength: prop.maxLength });
    if (prop.type === 'boolean')
      return element('input', { ...attributes, type: 'checkbox', value: 'true', checked: prop.default === true });
    const type = { date: 'date', email: 'email', uri: 'url' }[prop.format] || 'text';
    const inputmode = prop.type === 'integer' && 'numeric';
    return element('input', {
      ...attributes,
      type,
      maxlength: prop.maxLength,
      inputmode,
      autocomplete: type === 'email' && 'email',
    });
  }
  function listField(form, name, prop, label, help, def) {
    const items = element('ul', {});
    const add = element('button', { type: 'button', on: () => addItem().focus() }, def.text('add_link'));
    const renumber = () => {
      [...items.children].forEach((item, i) => {
        item.firstChild.textContent = `${label} ${i + 1}`;
        item.lastChild.setAttribute('aria-label', `${def.text('remove')}: ${label} ${i + 1}`);
      });
      add.hidden = items.children.length >= (prop.maxItems || 20);
    };
    const addItem = () => {
      const input = control(name, prop.items || {}, newId(), def, help && help.id);
      const remove = () => {
        const next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        renumber();
        (next ? next.children[1] : add).focus();
      };
      const removeButton = element('button', { type: 'button', on: remove }, def.text('remove'));
      const item = element('li', {}, element('label', { for: input.id, class: 'lb-sr' }), input, removeButton);
      items.append(item);
      renumber();
      return input;
    };
    addItem();
    form.addEventListener('reset', () => {
      while (items.children[1]) items.lastChild.remove();
      renumber();
    });
    return element('fieldset', {}, element('legend', {}, label), help, items, add);
  }
  // Render mode builds the form from the schema, then takes it over as a hand-written one.
  function build(root, def, action) {
    const { schema, text, lang } = def;
    const form = element('form', {
      class: 'lb',
      action,
      method: 'post',
      'data-lb': true,
      'data-lang': root.dataset.lang,
    });
    // data-heading="none": the page has its own heading and introduction.
    if (root.dataset.heading !== 'none')
      form.append(
        element('h2', {}, inLanguage(def.title, lang)),
        element('p', {}, labelOf(schema, 'description', lang)),
      );
    for (const [name, prop] of Object.entries(schema.properties)) {
      const id = newId();
      const label = labelOf(prop, 'title', lang) || name;
      const about = labelOf(prop, 'description', lang);
      const help = about && element('p', { class: 'lb-help', id: id + 'h' }, about);
      if (prop['x-widget'] === 'attachments') {
        const box = form.appendChild(element('div', { class: 'lb-f' }));
        const recipients = def.encryption && def.encryption.recipients;
        // letterbox-files.js's interface. Letterbox.files({...}) gets the field's box, name, schema (prop), label and
        // help, the language, the texts (text), the element builder, and an encrypted form's age keys (letterbox-age.js
        // encrypts each file before upload). It answers the field: ready(say) waits for the uploads and answers a
        // problem if one failed; errors(list, shown) puts /name/n errors on file n's row and answers the others;
        // sealed() describes an encrypted form's files, whose names and types travel encrypted only.
        const field = { box, name, prop, label, help, lang, text, element, recipients };
        loadScript(new URL('letterbox-files.js', SCRIPT_URL)).then(
          () => fileFields.set(form, window.Letterbox.files(field)),
          () => box.append(text('load_failed')),
        );
      }
      if ((prop['x-widget'] || 'textarea') !== 'textarea') continue;
      if (prop.type === 'array') {
        form.append(listField(form, name, prop, label, help, def));
        continue;
      }
      const required = (schema.required || []).includes(name);
      const input = control(name, prop, id, def, help && help.id);
      if (required) input.setAttribute('aria-required', (input.required = true));
      const mark =
        required && element('span', { class: 'lb-req', 'aria-hidden': 'true' }, ` (${text('required_mark')})`);
      const tag = element('label', { for: id }, label, mark);
      const parts =
        prop.type === 'boolean' ? [element('div', { class: 'lb-ck' }, input, tag), help] : [tag, help, input];
      form.append(element('div', { class: 'lb-f' }, ...parts));
    }
    // The honeypot: out of sight, out of the tab order, hidden from screen readers.
    const honeypot = element('input', { name: '_gotcha', tabindex: -1, autocomplete: 'off' });
    const submit = inLanguage((schema['x-letterbox'] || {}).submit, lang) || 'Send';
    form.append(
      element('div', { class: 'lb-hp', 'aria-hidden': 'true' }, honeypot),
      element('div', { 'data-letterbox-captcha': true }),
      element('button', {}, submit),
    );
    root.replaceChildren(form);
    return form;
  }
  // The body in the schema's types; empty fields left out.
  function collect(form, props) {
    const data = { _gotcha: '' };
    const inputs = [...form.elements].filter(
      (input) => !input.disabled && (props[input.name] || input.name === '_gotcha'),
    );
    for (const name of new Set(inputs.map((input) => input.name))) {
      const prop = props[name] || {};
      const given = inputs.filter(
        (input) =>
          input.name === name && (input.checked || !/^(checkbox|radio)$/.test(input.type)) && input.value.trim(),
      );
      const value = (input) => {
        const typed = prop.format || (prop.items || {}).format ? input.value.trim() : input.value;
        return prop.type === 'integer' && /^\s*-?\d+\s*$/.test(typed) ? +typed : typed;
      };
      if (prop.type === 'boolean') data[name] = given.length > 0;
      else if (given[0]) data[name] = prop.type === 'array' ? given.map(value) : value(given.pop());
    }
    return data;
  }
  // What the browser can tell before anything is sent, in the API's words (the API checks everything again):
  // a required field left empty, a date half typed, an address that cannot be one, a number out of range.
  function check(form, schema, data, text) {
    const halfTyped = new Set(
      [...form.elements].filter((input) => input.type === 'date' && input.validity.badInput).map((input) => input.name),
    );
    const mistake = (rule, value) => {
      if (rule.format === 'email' && !EMAIL.test(value)) return text('format_email');
      if (rule.format === 'uri' && !WEB_ADDRESS.test(value)) return text('format_uri');
      if (typeof value === 'number' && value < rule.minimum) return text('minimum', { n: rule.minimum });
      if (typeof value === 'number' && value > rule.maximum) return text('maximum', { n: rule.maximum });
    };
    const errors = [];
    for (const [name, prop] of Object.entries(schema.properties)) {
      const field = `/${name}`;
      if (halfTyped.has(name)) errors.push({ field, message: text('whole_date') });
      else if (data[name] === undefined && (schema.required || []).includes(name))
        errors.push({ field, message: text('required') });
      else if (data[name] !== undefined)
        [data[name]].flat().forEach((value, i) => {
          const message = mistake(prop.items || prop, value);
          if (message) errors.push({ field: prop.type === 'array' ? `${field}/${i}` : field, message });
        });
    }
    return errors;
  }
  // Shows errors next to their fields, focuses the first; returns the others.
  function showErrors(ctx, errors) {
    const { form, captcha } = ctx;
    form.querySelectorAll('.lb-err').forEach((error) => error.remove());
    for (const invalid of form.querySelectorAll('[aria-invalid]')) {
      invalid.removeAttribute('aria-invalid');
      const described = (invalid.getAttribute('aria-describedby') || '').replace(/lb-e\d+ ?/g, '');
      invalid.setAttribute('aria-describedby', described);
    }
    const stray = [];
    const shown = [];
    const files = fileFields.get(form);
    for (const { field, message } of files ? files.errors(errors, shown) : errors) {
      // "/links/1" is the second link sent: the second filled-in input named links.
      const [, name, i] = field.split('/');
      const named = [...form.elements].filter((input) => input.name === name && input.type !== 'hidden');
      const byName = i ? named.filter((input) => input.value.trim())[i] : named[0];
      const target = captcha && name === captcha.field ? captcha.focus : byName;
      if (!target) {
        stray.push(message);
        continue;
      }
      const error = element('p', { class: 'lb-err', id: `lb-e${++lastId}` }, message);
      ((target.type === 'checkbox' && target.closest('.lb-ck,label')) || target).before(error);
      target.setAttribute('aria-invalid', true);
      target.setAttribute('aria-describedby', `${error.id} ${target.getAttribute('aria-describedby') || ''}`);
      shown.push(target);
    }
    shown.sort((a, b) => (a.compareDocumentPosition(b) & 2 ? 1 : -1));
    if (shown[0]) shown[0].focus();
    return stray;
  }
  // Everything the supporter must still do, at once: the fields the browser can check, and the captcha.
  async function refusal(ctx, def, data) {
    const { text } = def;
    const { captcha } = ctx;
    const errors = check(ctx.form, def.schema, data, text);
    if (captcha && !captcha.missing() && !errors.length) data[captcha.field] = await captcha.token();
    if (captcha && !data[captcha.field] && (captcha.missing() || !errors.length))
      errors.push({ field: `/${captcha.field}`, message: text('human') });
    if (!errors.length) return null;
    if (errors.length === 1 && captcha && errors[0].field === `/${captcha.field}`)
      return { title: text('human'), errors };
    return { title: text('invalid_title'), detail: text('invalid_detail'), errors };
  }
  async function send(ctx) {
    const { form, button, status, retry, captcha } = ctx;
    const say = (message, kind = '') => {
      status.className = `lb-status ${kind}`;
      status.textContent = message;
    };
    const busy = (on) => {
      ctx.busy = button.disabled = on;
      if (on) form.setAttribute('aria-busy', 'true');
      else form.removeAttribute('aria-busy');
    };
    if (ctx.busy) return;
    busy(true);
    retry.hidden = true;
    say('');
    status.focus(); // the button is disabled meanwhile: keyboard and screen reader stay with the outcome
    let def;
    try {
      def = await ctx.load();
    } catch (problem) {
      busy(false);
      return say(problem.detail || NO_ANSWER, 'lb-bad'); // the API's reason, or no answer at all
    }
    const { text } = def;
    let answered = false;
    let code = 0;
    let body = {};
    try {
      const files = fileFields.get(form);
      const waiting = files && (await files.ready(say));
      const data = collect(form, def.schema.properties);
      const sealedFiles = files && files.sealed();
      if (sealedFiles) data._files = sealedFiles;
      ctx.success = inLanguage((def.schema['x-letterbox'] || {}).success, def.lang) || text('thanks');
      if (!waiting) say(text('sending'));
      const refused = waiting || (await refusal(ctx, def, data));
      if (refused) {
        code = 400;
        body = refused;
      } else {
        // One key until a definite answer: a retry never stores a second copy.
        ctx.key = ctx.key || ulid();
        const response = await fetch(ctx.action, {
          method: 'POST',
          credentials: 'omit',
          body: JSON.stringify(data),
          signal: AbortSignal.timeout && AbortSignal.timeout(60000),
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'Accept-Language': def.lang,
            'Idempotency-Key': ctx.key,
          },
        });
        answered = true;
        code = response.status;
        body = await response.json().catch(() => ({}));
      }
    } catch {
      code = 0; // offline, timed out or refused
    }
    busy(false);
    const stray = showErrors(ctx, (code < 500 && body.errors) || []);
    // A captcha's answer is spent once the API has read it, never by a request that did not reach it: hCaptcha's
    // token by any answer; ALTCHA's by a success or its own refusal (a retry after another refusal sends it again).
    const captchaRefused = captcha && (body.errors || []).some((error) => error.field === `/${captcha.field}`);
    if (captcha && answered && (!captcha.keepsAnswer || code < 300 || captchaRefused)) captcha.reset();
    if (code && code < 300) {
      ctx.key = null;
      form.reset();
      say(`${ctx.success} ${text('reference', { id: body.id })}`, 'lb-ok');
    } else if (!code || code > 499 || code === 429) {
      say(text(code ? 'busy' : 'offline'), 'lb-bad');
      retry.hidden = false;
    } else {
      say([body.title, body.detail, ...stray].filter(Boolean).join('. ').replace(/\.\./g, '.'), 'lb-bad');
    }
  }
  function enhance(form) {
    const lang = pageLanguage(form);
    // The action may end in ?lang=… (the page's language for a post without JavaScript): fetch sends Accept-Language.
    const match = /^(.*\/forms\/[^/?#]+)\/submissions\/?(?:\?[^#]*)?$/.exec(form.action);
    if (!match) return;
    const base = match[1];
    const action = `${base}/submissions`;
    form.noValidate = true;
    const button = form.querySelector('button:not([type]),[type=submit]');
    const status = element('p', { class: 'lb-status', role: 'status', 'aria-live': 'polite', tabindex: -1 });
    const ctx = { form, button, action, status };
    ctx.retry = element('button', { type: 'button', class: 'lb-retry', hidden: true, on: () => send(ctx) });
    button.after(status, ctx.retry);
    ctx.load = () =>
      definition(base, lang).then((def) => {
        if (!('captcha' in ctx)) {
          ctx.retry.textContent = def.text('retry');
          const captcha = (ctx.captcha = captchaFor(def, base));
          const slot = form.querySelector('[data-letterbox-captcha]');
          if (captcha) {
            // The hidden token is for posts without JavaScript.
            form.querySelectorAll(`[type=hidden][name=${HCAPTCHA_FIELD}]`).forEach((input) => input.remove());
            if (slot) slot.append(captcha.box);
            else button.before(captcha.box);
          }
        }
        return def;
      });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      send(ctx);
    });
    // A site not allowed to use the form is told before anyone types: the API lets any page read its refusal.
    ctx.load().catch((problem) => {
      if (problem.status === 403) {
        status.className = 'lb-status lb-bad';
        status.textContent = problem.detail;
      }
    });
  }
  const formUrl = (root, name) =>
    `${(root.dataset.endpoint || '').replace(/\/+$/, '')}/forms/${encodeURIComponent(name)}`;
  async function render(root) {
    const base = formUrl(root, root.dataset.letterboxForm);
    let def;
    root.setAttribute('aria-busy', 'true');
    try {
      def = await definition(base, pageLanguage(root));
    } catch (problem) {
      // The API's reason (this site is not allowed to use the form; no such form), or no answer at all.
      const message = element('p', { class: 'lb-status lb-bad', role: 'alert' }, problem.detail || NO_ANSWER);
      root.replaceChildren(message);
      return;
    } finally {
      root.removeAttribute('aria-busy');
    }
    enhance(build(root, def, `${base}/submissions`));
  }
  // letterbox-wall.js's interface, loaded only for a wall: Letterbox.wall({ root, base, lang, text, element,
  // definition }) renders the form's public wall in root, with the texts, the element builder and the form's
  // definition (its labels).
  function wall(root) {
    const base = formUrl(root, root.dataset.letterboxWall);
    const form = definition(base, pageLanguage(root));
    Promise.all([form, loadScript(new URL('letterbox-wall.js', SCRIPT_URL))]).then(
      ([def]) => window.Letterbox.wall({ root, base, lang: def.lang, text: def.text, element, definition: def }),
      () =>
        form
          .then(
            (def) => def.text('wall_load_failed'),
            (problem) => problem.detail || NO_ANSWER,
          )
          .then((message) => root.append(message)),
    );
  }
  function init(scope) {
    const found = (scope || document).querySelectorAll(
      '[data-letterbox-form]:not([data-lb]),form[data-letterbox]:not([data-lb]),[data-letterbox-wall]:not([data-lb])',
    );
    if (found[0] && !document.getElementById('letterbox-css'))
      document.head.append(element('style', { id: 'letterbox-css' }, CSS));
    for (const root of found) {
      root.setAttribute('data-lb', '');
      if (root.matches('form')) enhance(root);
      else if (root.dataset.letterboxWall) wall(root);
      else render(root);
    }
  }
  window.Letterbox = { init };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => init());
  else init();
})();
