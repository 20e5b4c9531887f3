/* letterbox-files.js: the file field, loaded by letterbox.js for forms that have one. Each file goes straight to S3
 * (a grant from POST /forms/{form}/uploads, then a multipart POST); an encrypted form's files are encrypted first.
 * The interface, Letterbox.files({...}) and form.lbFiles, is described where letterbox.js calls it. */
(() => {
const T = {
  en: {
    hint: 'Drag and drop files here, or choose them:', up: 'Uploading...', seal: 'Encrypting...', done: 'Uploaded.', retry: 'Retry', remove: 'Remove',
    type: 'This type of file is not accepted. Send {}.', or: 'or', big: 'This file is larger than {} MB.', empty: 'This file is empty.',
    many: 'At most {} files can be sent.', fail: 'The upload failed. Check your connection and retry.',
    wait: 'Wait for the files to finish uploading...', stuck: 'Some files are not uploaded: remove them or retry.', kb: 'KB', mb: 'MB',
  },
  ru: {
    hint: 'Перетащите файлы сюда или выберите их:', up: 'Загрузка...', seal: 'Шифрование...', done: 'Загружен.', retry: 'Повторить', remove: 'Удалить',
    type: 'Файлы такого типа не принимаются. Отправьте {}.', or: 'или', big: 'Файл больше {} МБ.', empty: 'Файл пустой.',
    many: 'Можно отправить не больше {} файлов.', fail: 'Загрузка не удалась. Проверьте связь и повторите.',
    wait: 'Подождите, пока загрузятся файлы...', stuck: 'Не все файлы загружены: удалите их или повторите загрузку.', kb: 'КБ', mb: 'МБ',
  },
};
// Some systems give HEIC (or any file) no type: the extension tells.
const EXT = { pdf: 'application/pdf', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', heic: 'image/heic' };
const CSS = `.lb-drop{border:2px dashed #555;padding:.7rem}.lb-drop p{margin:0 0 .5rem}.lb-over{border-color:#176b2c;background:#eefbf0}
.lb-fl li{align-items:center;border-bottom:1px solid #ccc;padding-bottom:.5rem}.lb-fn{flex:1 0 100%;overflow-wrap:anywhere}
.lb-fl progress{flex:1 1 6rem;height:1.2rem}.lb-fs{flex:1 1 10rem}.lb-fe:empty{display:none}`;
const MB = 1048576;
const AGE_SRC = new URL('letterbox-age.js', document.currentScript?.src || location.href).href;
let seq = 0;
let ageLoaded = null;
// letterbox-age.js (50 KB gzipped) only once a file is added to an encrypted form.
const loadAge = () => ageLoaded || (ageLoaded = new Promise((ok, fail) => {
  const script = Object.assign(document.createElement('script'), { src: AGE_SRC, onload: ok });
  script.onerror = () => { ageLoaded = null; fail(); };
  document.head.append(script);
}));
document.head.append(Object.assign(document.createElement('style'), { textContent: CSS }));
window.Letterbox.files = ({ box, name, prop: p, label, help, lang, el: h, recipients }) => {
  const t = T[lang];
  const form = box.closest('form');
  const rules = p['x-attachments'] || {};
  const types = rules.types || [...new Set(Object.values(EXT))];
  const max = rules.max_bytes || 10 * MB;
  const most = p.maxItems || 5;
  const id = `lbf${++seq}`;
  const kinds = types.map((m) => (m === 'image/webp' ? 'WebP' : m.split('/')[1].toUpperCase())).join(', ').replace(/, ([^,]+)$/, ` ${t.or} $1`);
  const input = h('input', { type: 'file', id, multiple: true, 'aria-describedby': `${help ? help.id : ''} ${id}d ${id}e`,
    accept: [...types, ...Object.keys(EXT).filter((e) => types.includes(EXT[e])).map((e) => '.' + e)] });
  const drop = h('div', { class: 'lb-drop' }, h('p', { id: id + 'd' }, t.hint), input);
  const err = h('p', { class: 'lb-bad lb-fe', id: id + 'e' });
  const list = h('ul', { class: 'lb-fl' });
  const live = h('div', { class: 'lb-sr', 'aria-live': 'polite' });
  let rows = [];
  let sent = [];
  let blocked;
  const show = (r, message, kind) => {
    r.status.textContent = message;
    r.status.className = `lb-fs ${kind}`;
    if (kind) live.append(h('p', {}, `${r.file.name}: ${message}`));
  };
  const failed = (r, message) => {
    show(r, message, 'lb-bad');
    r.retry.hidden = false;
  };
  // r.job: until the upload ends, either way.
  const upload = async (r) => {
    let message = t.fail;
    r.retry.hidden = true;
    show(r, t.up, '');
    try {
      if (recipients && !r.sealed) {
        show(r, t.seal, '');
        await loadAge();
        r.sealed = await window.LetterboxAge.sealFile(recipients, r.file);
        show(r, t.up, '');
      }
      // An encrypted form's file is not named to the API before the submission, which seals its name.
      const wanted = recipients ? { type: r.type, size: r.file.size } : { name: r.file.name, type: r.type, size: r.file.size };
      const res = await fetch(form.action.replace(/submissions$/, 'uploads'), {
        method: 'POST', credentials: 'omit', body: JSON.stringify(wanted),
        headers: { 'Content-Type': 'application/json', 'Accept-Language': lang },
      });
      const grant = await res.json().catch(() => ({}));
      if (!res.ok) message = (grant.errors || []).map((e) => e.message).join(' ') || message; // what is wrong with the file
      if (!res.ok || !r.li.isConnected) throw res;
      await new Promise((ok, fail) => {
        const x = (r.xhr = new XMLHttpRequest());
        const data = new FormData();
        for (const key in grant.fields) data.append(key, grant.fields[key]);
        data.append('file', r.sealed || r.file); // last, as S3 wants
        x.upload.onprogress = (e) => { if (e.total) r.bar.value = Math.min(99, (100 * e.loaded) / e.total); };
        x.onload = () => (x.status < 300 ? ok() : fail());
        x.onerror = x.onabort = fail;
        x.open('POST', grant.url);
        x.send(data);
      });
      r.id = grant.upload_id;
      r.li.append((r.hid = h('input', { type: 'hidden', name, value: r.id }))); // letterbox.js sends it
      r.bar.value = 100;
      show(r, t.done, 'lb-ok');
    } catch {
      r.bar.value = 0;
      if (r.li.isConnected) failed(r, message);
    }
    r.job = r.xhr = null;
  };
  const add = (file) => {
    const n = file.name;
    const type = types.includes(file.type) ? file.type : EXT[n.split('.').pop().toLowerCase()] || file.type;
    const size = file.size < MB ? `${Math.ceil(file.size / 1024)} ${t.kb}` : `${(file.size / MB).toLocaleString(lang, { maximumFractionDigits: 1 })} ${t.mb}`;
    const r = { file, type, bar: h('progress', { max: 100, value: 0, 'aria-label': n }), status: h('span', { class: 'lb-fs' }) };
    r.retry = h('button', { type: 'button', hidden: true, 'aria-label': `${t.retry}: ${n}`, on: () => (r.job = upload(r)) }, t.retry);
    r.li = h('li', {}, h('span', { class: 'lb-fn' }, `${n} (${size})`), r.bar, r.status, r.retry, h('button', { type: 'button', 'aria-label': `${t.remove}: ${n}`, on: () => {
      r.xhr?.abort();
      r.li.remove();
      rows = rows.filter((x) => x !== r);
      input.focus();
    } }, t.remove));
    // Checked here, before any upload; the API checks again.
    r.why = !types.includes(type) ? t.type.replace('{}', kinds) : file.size > max ? t.big.replace('{}', Math.floor(max / MB))
      : !file.size ? t.empty : rows.filter((x) => !x.why).length >= most ? t.many.replace('{}', most) : '';
    rows.push(r);
    list.append(r.li);
    if (r.why) {
      r.bar.hidden = true;
      show(r, r.why, 'lb-bad');
    } else r.job = upload(r);
  };
  const over = (on) => (e) => { e.preventDefault(); drop.classList.toggle('lb-over', on); };
  drop.addEventListener('dragover', over(true));
  drop.addEventListener('dragleave', over(false));
  drop.addEventListener('drop', (e) => { over(false)(e); [...e.dataTransfer.files].forEach(add); });
  input.addEventListener('change', () => { [...input.files].forEach(add); input.value = ''; });
  form.addEventListener('reset', () => {
    rows.forEach((r) => r.xhr?.abort());
    rows = [];
    list.replaceChildren();
    live.replaceChildren();
  });
  box.append(h('label', { for: id }, label), help || '', drop, err, list, live);
  form.lbFiles = {
    async ready(say) {
      for (let busy; (busy = rows.filter((r) => r.job))[0]; await Promise.all(busy.map((r) => r.job))) say(t.wait, '');
      sent = [...rows];
      blocked = rows.find((r) => !r.id);
      return blocked && { title: t.stuck };
    },
    sealed() {
      if (!recipients) return null;
      const described = {};
      for (const r of sent) if (r.id) described[r.id] = { name: r.file.name, type: r.type, size: r.file.size };
      return described;
    },
    errors(list, shown) {
      err.textContent = '';
      if (blocked?.li.isConnected) shown.push(blocked.li.querySelector('button:not([hidden])'));
      blocked = null;
      return list.filter(({ field, message }) => {
        const [, key, i] = field.split('/');
        const r = sent[i];
        if (key !== name) return true;
        if (r && r.li.isConnected) {
          r.id = null;
          r.hid?.remove();
          failed(r, message);
          shown.push(r.retry);
        } else {
          err.append(message, ' ');
          shown.push(input);
        }
      });
    },
  };
};
})();
