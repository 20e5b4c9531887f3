/* letterbox-wall.js: a form's public wall of actions, loaded by letterbox.js for <div data-letterbox-wall>.
 * Text goes in as text nodes only, links only http(s); nothing is fetched but the API's feed and form.
 * See README "Publish a wall of actions". */
(() => {
const T = {
  en: {
    loading: 'Loading the wall...', failed: 'The wall could not load. Check your connection.', retry: 'Try again',
    country: 'Country', kind: 'Type of action', allCountries: 'All countries', allKinds: 'All types',
    more: 'Show more actions', none: 'No action matches these filters.', empty: 'No action has been published yet.',
    shown: 'Showing {shown} of {n}.', filters: 'Filter the actions', links: 'Links',
  },
  ru: {
    loading: 'Загрузка стены...', failed: 'Стена не загрузилась. Проверьте связь.', retry: 'Попробовать ещё раз',
    country: 'Страна', kind: 'Вид акции', allCountries: 'Все страны', allKinds: 'Все виды',
    more: 'Показать ещё', none: 'По этим фильтрам акций нет.', empty: 'Пока не опубликовано ни одной акции.',
    shown: 'Показано {shown} из {n}.', filters: 'Фильтры акций', links: 'Ссылки',
  },
};
// Plural forms by Intl.PluralRules' categories: Russian has one, few and many ("1 акция", "3 акции", "5 акций").
const WORDS = {
  en: { actions: { one: 'action', other: 'actions' }, countries: { one: 'country', other: 'countries' }, in: 'in' },
  ru: { actions: { one: 'акция', few: 'акции', many: 'акций', other: 'акции' }, countries: { one: 'стране', other: 'странах' }, in: 'в' },
};
const CSS = `.lb-wall-filters:not([hidden]){display:flex;flex-wrap:wrap;gap:1rem;margin:0 0 1rem}.lb-wall-filters label{display:block;font-weight:600}
.lb-wall select,.lb-wall button{font:inherit;font-size:max(1em,16px);min-height:2.75rem;padding:.3rem .6rem}
.lb-wall-list{list-style:none;padding:0;margin:0 0 1rem;display:grid;gap:1rem}
.lb-wall-list>li{border:1px solid #bbb;border-left:4px solid #555;padding:.6rem 1rem}
.lb-wall-list h3,.lb-wall-list h4,.lb-wall-list h5,.lb-wall-list h6{margin:0 0 .2rem;font-size:1.1em}
.lb-wall-meta{color:#555;margin:0}.lb-wall-text{white-space:pre-line}.lb-wall a,.lb-wall li{overflow-wrap:anywhere}`;
const safeUrl = (value) => {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) ? url.href : '';
  } catch {
    return '';
  }
};
const str = (value) => (typeof value === 'string' ? value : '');

window.Letterbox.wall = ({ root, base, lang, el: h, definition }) => {
  const t = T[lang];
  const words = WORDS[lang];
  const rules = new Intl.PluralRules(lang);
  const word = (forms, n) => forms[rules.select(n)] || forms.other;
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' });
  const level = Math.min(5, Math.max(1, parseInt(root.dataset.headingLevel, 10) || 2));
  const id = `lbw${Math.random().toString(36).slice(2, 8)}`;
  const state = { filters: { country: '', kind: '' }, page: 0, pages: 0, shown: new Set(), ask: 0, props: {} };
  if (!document.getElementById('letterbox-wall-css')) document.head.append(h('style', { id: 'letterbox-wall-css' }, CSS));

  const total = h(`h${level}`, { id: `${id}t` }, t.loading);
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'lb-wall-status' });
  const list = h('ul', { class: 'lb-wall-list', 'aria-labelledby': total.id });
  const more = h('button', { type: 'button', hidden: true, on: () => show(state.page + 1) }, t.more);
  const choose = (name, label, all) => {
    const select = h('select', { id: `${id}${name}` }, h('option', { value: '' }, all));
    select.addEventListener('change', () => { state.filters[name] = select.value; show(1); });
    return { select, field: h('div', {}, h('label', { for: select.id }, label), select) };
  };
  const country = choose('country', t.country, t.allCountries);
  const kind = choose('kind', t.kind, t.allKinds);
  const filters = h('div', { role: 'group', 'aria-label': t.filters, class: 'lb-wall-filters', hidden: true }, country.field, kind.field);
  root.replaceChildren(h('section', { class: 'lb-wall', 'aria-labelledby': total.id }, total, filters, status, list, more));

  const kindLabel = (value) => {
    const labels = (state.props.kind || {})['x-enum-labels'] || {};
    return (labels[lang] || {})[value] || (labels.en || {})[value] || value;
  };
  const phrase = (counts) => {
    const a = `${counts.entries} ${word(words.actions, counts.entries)}`;
    return counts.countries ? `${a} ${words.in} ${counts.countries} ${word(words.countries, counts.countries)}` : a;
  };
  const when = (value) => {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`);
    return day && !isNaN(day) ? h('time', { datetime: value }, dates.format(day)) : value;
  };
  const card = (entry) => {
    const f = entry.fields || {};
    const place = [str(f.city), str(f.country)].filter(Boolean).join(', ');
    const heading = h(`h${level + 1}`, { tabindex: -1 }, [kindLabel(str(f.kind)), place].filter(Boolean).join(' · '));
    const links = (Array.isArray(f.links) ? f.links : []).filter((v) => str(v)).map((v) => {
      const href = safeUrl(v);
      // Only a web address becomes a link; anything else (javascript:, data:) stays inert text.
      return h('li', {}, href ? h('a', { href, rel: 'noopener nofollow ugc' }, href) : v);
    });
    return h('li', {}, h('article', {},
      heading,
      f.date && h('p', { class: 'lb-wall-meta' }, when(str(f.date))),
      str(f.description) && h('p', { class: 'lb-wall-text' }, str(f.description)),
      links[0] && h('ul', { 'aria-label': t.links }, ...links)));
  };
  const fill = (select, options) => {
    select.replaceChildren(select.firstChild, ...options.map(([value, label]) => h('option', { value }, label)));
  };
  const url = (page) => {
    const query = new URLSearchParams({ page });
    for (const [name, value] of Object.entries(state.filters)) if (value) query.set(name, value);
    return `${base}/wall?${query}`;
  };
  const first = (feed) => {
    total.textContent = phrase(feed.counts);
    fill(country.select, (feed.countries || []).map((c) => [c.name, `${c.name} (${c.entries})`]));
    fill(kind.select, Object.entries(feed.counts.kinds).map(([k, n]) => [k, `${kindLabel(k)} (${n})`]));
    filters.hidden = !feed.counts.entries;
  };

  async function show(page) {
    const ask = ++state.ask;
    more.hidden = true;
    list.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch(url(page), { credentials: 'omit' });
      if (!res.ok) throw res.status;
      const feed = await res.json();
      if (ask !== state.ask) return; // a newer choice was made meanwhile
      if (page === 1) {
        list.replaceChildren();
        state.shown.clear();
      }
      // An entry published between two pages shifts the next one: show each entry once.
      const fresh = feed.entries.filter((e) => !state.shown.has(e.id));
      fresh.forEach((e) => state.shown.add(e.id));
      list.append(...fresh.map(card));
      Object.assign(state, { page, pages: feed.pages });
      if (!state.filters.country && !state.filters.kind && page === 1) first(feed);
      const n = feed.counts.entries;
      status.textContent = n ? t.shown.replace('{shown}', state.shown.size).replace('{n}', n) : (state.filters.country || state.filters.kind ? t.none : t.empty);
      more.textContent = t.more;
      more.hidden = page >= feed.pages;
      if (page > 1 && fresh[0]) list.children[list.children.length - fresh.length].querySelector('[tabindex]').focus();
    } catch {
      if (ask !== state.ask) return;
      status.textContent = t.failed;
      more.textContent = t.retry;
      more.hidden = false;
      state.page = page - 1;
    } finally {
      if (ask === state.ask) list.removeAttribute('aria-busy');
    }
  }

  definition(base).then((def) => { state.props = def.schema.properties || {}; }, () => {})
    .then(() => show(1));
};
})();
