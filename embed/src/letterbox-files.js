/* letterbox-files.js: the file field, loaded by letterbox.js for forms that have one. Each file goes straight to S3
 * (a grant from POST /forms/{form}/uploads, then a multipart POST); an encrypted form's files are encrypted first.
 * The interface, Letterbox.files({...}) and the field it answers, is described where letterbox.js calls it. */
(() => {
  // Some systems give HEIC (or any file) no type: the extension tells.
  const EXTENSIONS = {
    pdf: 'application/pdf',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    webp: 'image/webp',
    heic: 'image/heic',
  };
  const CSS = `.lb-drop{border:2px dashed #555;padding:.7rem}.lb-drop p{margin:0 0 .5rem}
.lb-over{border-color:#176b2c;background:#eefbf0}.lb-fl li{align-items:center;border-bottom:1px solid #ccc;
padding-bottom:.5rem}.lb-fn{flex:1 0 100%;overflow-wrap:anywhere}.lb-fl progress{flex:1 1 6rem;height:1.2rem}
.lb-fs{flex:1 1 10rem}.lb-fe:empty{display:none}`;
  const MB = 1048576;
  const AGE_SRC = new URL('letterbox-age.js', document.currentScript?.src || location.href).href;
  let lastId = 0;
  let ageLoaded = null;
  // letterbox-age.js (50 KB gzipped) only once a file is added to an encrypted form.
  const loadAge = () =>
    (ageLoaded ||= new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement('script'), { src: AGE_SRC, onload: resolve });
      script.onerror = () => {
        ageLoaded = null;
        reject();
      };
      document.head.append(script);
    }));
  document.head.append(Object.assign(document.createElement('style'), { textContent: CSS }));
  window.Letterbox.files = ({ box, name, prop, label, help, lang, text, element, recipients }) => {
    const form = box.closest('form');
    const rules = prop['x-attachments'] || {};
    const types = rules.types || [...new Set(Object.values(EXTENSIONS))];
    const maxBytes = rules.max_bytes || 10 * MB;
    const maxFiles = prop.maxItems || 5;
    const id = `lbf${++lastId}`;
    const kinds = types
      .map((type) => (type === 'image/webp' ? 'WebP' : type.split('/')[1].toUpperCase()))
      .join(', ')
      .replace(/, ([^,]+)$/, ` ${text('files_or')} $1`);
    const extensions = Object.keys(EXTENSIONS).filter((extension) => types.includes(EXTENSIONS[extension]));
    const input = element('input', {
      type: 'file',
      id,
      multiple: true,
      'aria-describedby': `${help ? help.id : ''} ${id}d ${id}e`,
      accept: [...types, ...extensions.map((extension) => '.' + extension)],
    });
    const drop = element('div', { class: 'lb-drop' }, element('p', { id: id + 'd' }, text('files_hint')), input);
    const fieldError = element('p', { class: 'lb-bad lb-fe', id: id + 'e' });
    const list = element('ul', { class: 'lb-fl' });
    const live = element('div', { class: 'lb-sr', 'aria-live': 'polite' });
    let rows = [];
    let sent = [];
    let blocked;
    const show = (row, message, kind) => {
      row.status.textContent = message;
      row.status.className = `lb-fs ${kind}`;
      if (kind) live.append(element('p', {}, `${row.file.name}: ${message}`));
    };
    const failed = (row, message) => {
      show(row, message, 'lb-bad');
      row.retry.hidden = false;
    };
    // row.job: until the upload ends, either way.
    const upload = async (row) => {
      let message = text('files_failed');
      row.retry.hidden = true;
      show(row, text('files_uploading'), '');
      try {
        if (recipients && !row.sealed) {
          show(row, text('files_encrypting'), '');
          await loadAge();
          row.sealed = await window.LetterboxAge.sealFile(recipients, row.file);
          show(row, text('files_uploading'), '');
        }
        // An encrypted form's file is not named to the API before the submission, which seals its name.
        const { file } = row;
        const wanted = recipients
          ? { type: row.type, size: file.size }
          : { name: file.name, type: row.type, size: file.size };
        const response = await fetch(form.action.replace(/submissions$/, 'uploads'), {
          method: 'POST',
          credentials: 'omit',
          body: JSON.stringify(wanted),
          headers: { 'Content-Type': 'application/json', 'Accept-Language': lang },
        });
        const grant = await response.json().catch(() => ({}));
        // What is wrong with the file, in the API's words.
        if (!response.ok) message = (grant.errors || []).map((error) => error.message).join(' ') || message;
        if (!response.ok || !row.item.isConnected) throw response;
        await new Promise((resolve, reject) => {
          const request = (row.request = new XMLHttpRequest());
          const data = new FormData();
          for (const key in grant.fields) data.append(key, grant.fields[key]);
          data.append('file', row.sealed || file); // last, as S3 wants
          request.upload.onprogress = (event) => {
            if (event.total) row.bar.value = Math.min(99, (100 * event.loaded) / event.total);
          };
          request.onload = () => (request.status < 300 ? resolve() : reject());
          request.onerror = request.onabort = reject;
          request.open('POST', grant.url);
          request.send(data);
        });
        row.id = grant.upload_id;
        row.idInput = element('input', { type: 'hidden', name, value: row.id }); // letterbox.js sends it
        row.item.append(row.idInput);
        row.bar.value = 100;
        show(row, text('files_done'), 'lb-ok');
      } catch {
        row.bar.value = 0;
        if (row.item.isConnected) failed(row, message);
      }
      row.job = row.request = null;
    };
    const sizeOf = (file) =>
      file.size < MB
        ? `${Math.ceil(file.size / 1024)} ${text('files_kb')}`
        : `${(file.size / MB).toLocaleString(lang, { maximumFractionDigits: 1 })} ${text('files_mb')}`;
    // Checked here, before any upload; the API checks again.
    const refusal = (file, type) => {
      if (!types.includes(type)) return text('files_type', { kinds });
      if (file.size > maxBytes) return text('attachment_too_large', { limit: Math.floor(maxBytes / MB) });
      if (!file.size) return text('files_empty');
      if (rows.filter((row) => !row.refused).length >= maxFiles) return text('files_too_many', { count: maxFiles });
      return '';
    };
    const add = (file) => {
      const fileName = file.name;
      const type = types.includes(file.type)
        ? file.type
        : EXTENSIONS[fileName.split('.').pop().toLowerCase()] || file.type;
      const row = {
        file,
        type,
        bar: element('progress', { max: 100, value: 0, 'aria-label': fileName }),
        status: element('span', { class: 'lb-fs' }),
      };
      const retryLabel = `${text('files_retry')}: ${fileName}`;
      row.retry = element(
        'button',
        { type: 'button', hidden: true, 'aria-label': retryLabel, on: () => (row.job = upload(row)) },
        text('files_retry'),
      );
      const remove = () => {
        row.request?.abort();
        row.item.remove();
        rows = rows.filter((other) => other !== row);
        input.focus();
      };
      const removeLabel = `${text('remove')}: ${fileName}`;
      const removeButton = element('button', { type: 'button', 'aria-label': removeLabel, on: remove }, text('remove'));
      const named = element('span', { class: 'lb-fn' }, `${fileName} (${sizeOf(file)})`);
      row.item = element('li', {}, named, row.bar, row.status, row.retry, removeButton);
      row.refused = refusal(file, type);
      rows.push(row);
      list.append(row.item);
      if (row.refused) {
        row.bar.hidden = true;
        show(row, row.refused, 'lb-bad');
      } else row.job = upload(row);
    };
    const over = (on) => (event) => {
      event.preventDefault();
      drop.classList.toggle('lb-over', on);
    };
    drop.addEventListener('dragover', over(true));
    drop.addEventListener('dragleave', over(false));
    drop.addEventListener('drop', (event) => {
      over(false)(event);
      [...event.dataTransfer.files].forEach(add);
    });
    input.addEventListener('change', () => {
      [...input.files].forEach(add);
      input.value = '';
    });
    form.addEventListener('reset', () => {
      rows.forEach((row) => row.request?.abort());
      rows = [];
      list.replaceChildren();
      live.replaceChildren();
    });
    box.append(element('label', { for: id }, label), help || '', drop, fieldError, list, live);
    return {
      async ready(say) {
        for (let busy; (busy = rows.filter((row) => row.job))[0]; await Promise.all(busy.map((row) => row.job)))
          say(text('files_wait'));
        sent = [...rows];
        blocked = rows.find((row) => !row.id);
        return blocked && { title: text('files_stuck') };
      },
      sealed() {
        if (!recipients) return null;
        const described = {};
        for (const row of sent)
          if (row.id) described[row.id] = { name: row.file.name, type: row.type, size: row.file.size };
        return described;
      },
      errors(errors, shown) {
        fieldError.textContent = '';
        if (blocked?.item.isConnected) shown.push(blocked.item.querySelector('button:not([hidden])'));
        blocked = null;
        return errors.filter(({ field, message }) => {
          const [, key, i] = field.split('/');
          const row = sent[i];
          if (key !== name) return true;
          if (row && row.item.isConnected) {
            row.id = null;
            row.idInput?.remove();
            row.bar.value = 0; // not uploaded any more: no full bar beside the error
            failed(row, message);
            shown.push(row.retry);
          } else {
            fieldError.append(message, ' ');
            shown.push(input);
          }
        });
      },
    };
  };
})();
