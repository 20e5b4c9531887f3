/* letterbox-wall.js: a form's public wall of actions, loaded by letterbox.js for <div data-letterbox-wall>.
 * Text goes in as text nodes only, links only http(s); nothing is fetched but the API's feed and form.
 * See README "Publish a wall of actions". */
(() => {
  const CSS = `.lb-wall-filters:not([hidden]){display:flex;flex-wrap:wrap;gap:1rem;margin:0 0 1rem}
.lb-wall-filters label{display:block;font-weight:600}
.lb-wall select,.lb-wall button{font:inherit;font-size:max(1em,16px);min-height:2.75rem;padding:.3rem .6rem}
.lb-wall-list{list-style:none;padding:0;margin:0 0 1rem;display:grid;gap:1rem}
.lb-wall-list>li{border:1px solid #bbb;border-inline-start:4px solid #555;padding:.6rem 1rem}
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
  const asText = (value) => (typeof value === 'string' ? value : '');

  window.Letterbox.wall = ({ root, base, lang, text, element, definition }) => {
    const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' });
    const level = Math.min(5, Math.max(1, parseInt(root.dataset.headingLevel, 10) || 2));
    const id = `lbw${Math.random().toString(36).slice(2, 8)}`;
    const state = { filters: { country: '', kind: '' }, page: 0, pages: 0, shown: new Set(), ask: 0, props: {} };
    if (!document.getElementById('letterbox-wall-css'))
      document.head.append(element('style', { id: 'letterbox-wall-css' }, CSS));

    const summary = element(`h${level}`, { id: `${id}t` }, text('wall_loading'));
    const status = element('p', { role: 'status', 'aria-live': 'polite', class: 'lb-wall-status' });
    const list = element('ul', { class: 'lb-wall-list', 'aria-labelledby': summary.id });
    const more = element('button', { type: 'button', hidden: true, on: () => show(state.page + 1) }, text('wall_more'));
    const choose = (name, label, all) => {
      const select = element('select', { id: `${id}${name}` }, element('option', { value: '' }, all));
      select.addEventListener('change', () => {
        state.filters[name] = select.value;
        show(1);
      });
      return { select, field: element('div', {}, element('label', { for: select.id }, label), select) };
    };
    const country = choose('country', text('wall_country'), text('wall_all_countries'));
    const kind = choose('kind', text('wall_kind'), text('wall_all_kinds'));
    const filters = element(
      'div',
      { role: 'group', 'aria-label': text('wall_filters'), class: 'lb-wall-filters', hidden: true },
      country.field,
      kind.field,
    );
    root.replaceChildren(
      element('section', { class: 'lb-wall', 'aria-labelledby': summary.id }, summary, filters, status, list, more),
    );

    const kindLabel = (value) => {
      const labels = (state.props.kind || {})['x-enum-labels'] || {};
      return (labels[lang] || {})[value] || (labels.en || {})[value] || value;
    };
    const phrase = (counts) => {
      const actions = text('wall_actions', { count: counts.entries });
      return counts.countries ? text('wall_actions_in_countries', { actions, count: counts.countries }) : actions;
    };
    const when = (value) => {
      const day = /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`);
      return day && !isNaN(day) ? element('time', { datetime: value }, dates.format(day)) : value;
    };
    const card = (entry) => {
      const fields = entry.fields || {};
      const place = [asText(fields.city), asText(fields.country)].filter(Boolean).join(', ');
      const heading = element(
        `h${level + 1}`,
        { tabindex: -1 },
        [kindLabel(asText(fields.kind)), place].filter(Boolean).join(' · '),
      );
      const links = (Array.isArray(fields.links) ? fields.links : [])
        .filter((link) => asText(link))
        .map((link) => {
          const href = safeUrl(link);
          // Only a web address becomes a link; anything else (javascript:, data:) stays inert text.
          return element('li', {}, href ? element('a', { href, rel: 'noopener nofollow ugc' }, href) : link);
        });
      return element(
        'li',
        {},
        element(
          'article',
          {},
          heading,
          fields.date && element('p', { class: 'lb-wall-meta' }, when(asText(fields.date))),
          asText(fields.description) && element('p', { class: 'lb-wall-text' }, asText(fields.description)),
          links[0] && element('ul', { 'aria-label': text('wall_links') }, ...links),
        ),
      );
    };
    const fill = (select, options) => {
      select.replaceChildren(
        select.firstChild,
        ...options.map(([value, label]) => element('option', { value }, label)),
      );
    };
    const url = (page) => {
      const query = new URLSearchParams({ page });
      for (const [name, value] of Object.entries(state.filters)) if (value) query.set(name, value);
      return `${base}/wall?${query}`;
    };
    const first = (feed) => {
      summary.textContent = phrase(feed.counts);
      fill(
        country.select,
        (feed.countries || []).map(({ name, entries }) => [name, `${name} (${entries})`]),
      );
      fill(
        kind.select,
        Object.entries(feed.counts.kinds).map(([value, entries]) => [value, `${kindLabel(value)} (${entries})`]),
      );
      filters.hidden = !feed.counts.entries;
    };

    async function show(page) {
      const ask = ++state.ask;
      more.hidden = true;
      list.setAttribute('aria-busy', 'true');
      try {
        const response = await fetch(url(page), { credentials: 'omit' });
        if (!response.ok) throw response.status;
        const feed = await response.json();
        if (ask !== state.ask) return; // a newer choice was made meanwhile
        if (page === 1) {
          list.replaceChildren();
          state.shown.clear();
        }
        // An entry published between two pages shifts the next one: show each entry once.
        const fresh = feed.entries.filter((entry) => !state.shown.has(entry.id));
        fresh.forEach((entry) => state.shown.add(entry.id));
        list.append(...fresh.map(card));
        Object.assign(state, { page, pages: feed.pages });
        if (!state.filters.country && !state.filters.kind && page === 1) first(feed);
        const total = feed.counts.entries;
        status.textContent = total
          ? text('wall_shown', { shown: state.shown.size, total })
          : state.filters.country || state.filters.kind
            ? text('wall_none')
            : text('wall_empty');
        more.textContent = text('wall_more');
        more.hidden = page >= feed.pages;
        if (page > 1 && fresh[0])
          list.children[list.children.length - fresh.length].querySelector('[tabindex]').focus();
      } catch {
        if (ask !== state.ask) return;
        status.textContent = text('wall_failed');
        more.textContent = text('retry');
        more.hidden = false;
        state.page = page - 1;
      } finally {
        if (ask === state.ask) list.removeAttribute('aria-busy');
      }
    }

    state.props = definition.schema.properties || {}; // the kinds' labels
    show(1);
  };
})();
