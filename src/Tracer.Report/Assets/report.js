// tracer report: draws the data embedded in #report-data with uPlot; nothing is fetched.
(() => {
  'use strict';
  const started = performance.now();
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const GiB = 2 ** 30;
  const wall = data.clock === 'wall';
  const charts = [];
  window.tracerReport = { data, charts };

  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  };
  const bytes = v => {
    if (v == null) return '';
    const a = Math.abs(v);
    for (const [unit, size] of [['GiB', GiB], ['MiB', 2 ** 20], ['KiB', 1024]]) {
      if (a >= size) return (v / size).toFixed(a >= 10 * size ? 0 : 1) + ' ' + unit;
    }
    return v.toFixed(0) + ' B';
  };
  const pad = n => String(n).padStart(2, '0');
  const when = t => {
    if (wall) return new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    const s = Math.max(0, t);
    return '+' + pad(Math.floor(s / 3600)) + ':' + pad(Math.floor(s / 60) % 60) + ':' + pad(Math.floor(s) % 60);
  };
  const width = () => Math.max(480, Math.min(1200, document.documentElement.clientWidth - 48));
  // ticks in UTC like the header (uPlot's own are local time), or as time since the first sample
  const tick = t => {
    if (!wall) return when(t);
    const iso = new Date(t * 1000).toISOString();
    const span = data.header.end - data.header.start;
    return span > 86400 ? iso.slice(5, 10) + ' ' + iso.slice(11, 16) : span < 120 ? iso.slice(11, 23) : iso.slice(11, 19);
  };
  const xScale = { time: false };
  const xAxis = { values: (u, splits) => splits.map(tick), space: 80 };
  const stepped = uPlot.paths.stepped({ align: 1 });

  // vertical bands (zero-window episodes) under the series, marks and level lines over them
  const overlay = ({ bands = [], marks = [], levels = [] }) => ({
    hooks: {
      drawClear: [u => {
        const { ctx, bbox } = u;
        ctx.save();
        for (const b of bands) {
          const x0 = u.valToPos(b.from, 'x', true), x1 = u.valToPos(b.to, 'x', true);
          ctx.fillStyle = b.color;
          ctx.fillRect(Math.max(bbox.left, x0), bbox.top, Math.max(1, Math.min(bbox.left + bbox.width, x1) - Math.max(bbox.left, x0)), bbox.height);
        }
        ctx.restore();
      }],
      draw: [u => {
        const { ctx, bbox } = u;
        ctx.save();
        for (const m of marks) {
          ctx.strokeStyle = m.color;
          ctx.lineWidth = m.width || 1;
          ctx.beginPath();
          for (const t of m.at) {
            const x = u.valToPos(t, 'x', true);
            if (x < bbox.left || x > bbox.left + bbox.width) continue;
            ctx.moveTo(x, m.top ? bbox.top : bbox.top + bbox.height * 0.8);
            ctx.lineTo(x, bbox.top + bbox.height);
          }
          ctx.stroke();
        }
        for (const l of levels) {
          const y = u.valToPos(l.value, l.scale || 'y', true);
          if (y < bbox.top || y > bbox.top + bbox.height) continue;
          ctx.strokeStyle = l.color;
          ctx.setLineDash([6, 4]);
          ctx.beginPath();
          ctx.moveTo(bbox.left, y);
          ctx.lineTo(bbox.left + bbox.width, y);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = l.color;
          ctx.font = Math.round(11 * devicePixelRatio) + 'px system-ui, sans-serif';
          ctx.textAlign = 'left';
          ctx.textBaseline = 'bottom';
          ctx.fillText(l.label, bbox.left + 4, y - 2);
        }
        ctx.restore();
      }],
    },
  });

  const chart = (parent, record, opts, columns) => {
    const box = el('div', { class: 'chart', 'data-chart': record.kind });
    parent.append(box);
    const u = new uPlot({ width: width(), height: 240, scales: { x: xScale }, ...opts, axes: [xAxis, ...(opts.axes || [])] }, columns, box);
    charts.push({ ...record, u });
    return u;
  };

  // header
  const h = data.header;
  document.title = 'tracer report' + (h.hosts.length ? ' — ' + h.hosts.join(', ') : '');
  const dl = el('dl', { class: 'header' });
  const row = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, v));
  row('host', h.hosts.length ? h.hosts.join(', ') : 'not recorded in these inputs');
  row('kernel', h.kernels.length ? h.kernels.join(', ') : 'not recorded in these inputs');
  row('tracer', (h.versions.length ? 'recorded by ' + h.versions.join(', ') + '; ' : '') + 'report by ' + h.generator);
  row('time range', h.start == null ? 'no data' : when(h.start) + ' — ' + when(h.end) + (wall ? ' (UTC)' : ' (since the first sample; the inputs hold no wall clock)'));
  row('filters', h.filters.length ? el('span', {}, ...h.filters.flatMap(f => [f, el('br')])) : 'not recorded in these inputs');
  row('inputs', el('span', {}, ...h.inputs.flatMap(i => [el('code', {}, i.path), ': ' + i.what, el('br')])));
  row('drops', h.dropped > 0 ? h.dropped + ' samples dropped by the kernel' : 'none reported');
  if (h.incomplete.length) row('may be incomplete', el('ul', { class: 'events incomplete' }, ...h.incomplete.map(s => el('li', {}, s))));
  if (h.notes.length) row('notes', el('ul', { class: 'events' }, ...h.notes.map(s => el('li', {}, s))));
  document.body.append(el('h1', {}, 'tracer report'), dl);

  // every connection, sortable by any column
  const conns = data.connections;
  const rank = c => (c.worst ? c.worst.rank : -1);
  const columns = [
    ['connection', c => c.label],
    ['samples', c => c.samples],
    ['findings', c => c.findings],
    ['severity', rank, c => (c.worst ? c.worst.severity : '')],
    ['worst finding', c => (c.worst ? c.worst.kind : '')],
    ['verdict', c => (c.worst ? c.worst.message : '')],
  ];
  const table = el('table', { class: 'connections' });
  const head = el('tr');
  const body = el('tbody');
  const fill = list => {
    body.replaceChildren(...list.map(c => el('tr', {}, ...columns.map(([name, key, show]) => {
      const td = el('td', {}, (show || key)(c));
      if (name === 'severity' && c.worst) td.className = 'sev-' + c.worst.severity;
      if (name === 'connection' && c.events) td.replaceChildren(el('a', { href: '#conn-' + c.cookie }, c.label));
      return td;
    }))));
  };
  columns.forEach(([name, key], i) => {
    const th = el('th', { 'data-column': String(i) }, name);
    th.addEventListener('click', () => {
      const order = th.getAttribute('aria-sort') === 'descending' ? 'ascending' : 'descending';
      head.querySelectorAll('th').forEach(o => o.removeAttribute('aria-sort'));
      th.setAttribute('aria-sort', order);
      const sign = order === 'ascending' ? 1 : -1;
      fill([...conns].sort((a, b) => {
        const x = key(a), y = key(b);
        return sign * (typeof x === 'number' ? x - y : String(x).localeCompare(String(y)));
      }));
    });
    head.append(th);
  });
  table.append(el('thead', {}, head), body);
  fill([...conns].sort((a, b) => rank(b) - rank(a) || b.findings - a.findings));
  head.children[3].setAttribute('aria-sort', 'descending');
  document.body.append(el('h2', {}, 'Connections (' + conns.length + ')'), conns.length ? table : el('p', {}, 'No TCP connection in these inputs.'));

  // a section per connection with findings
  for (const c of conns.filter(c => c.events)) {
    const section = el('section', { id: 'conn-' + c.cookie, class: 'connection' });
    section.append(el('h3', {}, c.label));
    if (c.worst) section.append(el('div', { class: 'verdict ' + c.worst.severity }, c.worst.message));
    const bands = c.episodes.map(([from, to, stuck]) => ({ from, to, color: stuck ? 'rgba(198,40,40,0.16)' : 'rgba(224,138,0,0.14)' }));
    if (c.chart) {
      const d = c.chart;
      const marks = [
        { at: c.ignored, color: '#c62828', width: 2 },
        { at: c.probes, color: '#6a1b9a' },
      ];
      const series = (label, stroke) => ({ label, stroke, width: 1.5, paths: stepped, value: (u, v) => bytes(v) });
      chart(section, { kind: 'window', cookie: c.cookie }, {
        title: 'send window, peer\'s advertised window, in flight, unsent',
        series: [{ label: 'time', value: (u, v) => (v == null ? '' : when(v)) }, series('snd_wnd', '#1565c0'), series('advertised (scaled)', '#2e7d32'), series('in flight', '#ef6c00'), series('unsent', '#8e24aa')],
        axes: [{ values: (u, s) => s.map(bytes), size: 70 }],
        plugins: [overlay({ bands, marks })],
      }, [d.x, d.snd_wnd, d.advertised, d.in_flight, d.unsent]);
      const top = Math.max(2.2 * GiB, ...d.wl1_lag);
      chart(section, { kind: 'lag', cookie: c.cookie, levels: [GiB, 2 * GiB] }, {
        title: 'snd_wl1 lag: bytes received since snd_wl1 last moved',
        scales: { x: xScale, y: { range: [0, top] } },
        series: [{ label: 'time', value: (u, v) => (v == null ? '' : when(v)) }, series('wl1 lag', '#c62828')],
        axes: [{ values: (u, s) => s.map(bytes), size: 70 }],
        plugins: [overlay({ bands, marks, levels: [{ value: GiB, label: '1 GiB: warning', color: '#e08a00' }, { value: 2 * GiB, label: '2 GiB: window updates ignored', color: '#c62828' }] })],
      }, [d.x, d.wl1_lag]);
      section.append(el('div', { class: 'legend-note' }, 'Shaded: zero-window episodes (red: stuck). Red ticks: window updates the kernel ignored; purple ticks: zero-window probes.'));
    }
    section.append(el('ul', { class: 'events' }, ...c.events.map(e => el('li', {}, el('span', { class: 'sev-' + e.severity }, when(e.t) + ' ' + e.kind), ': ' + e.message))));
    document.body.append(section);
  }

  // slab
  const s = data.slab;
  if (s.caches.length || s.sunreclaim.x.length || s.suspects.length || s.ooms.length) {
    document.body.append(el('h2', {}, 'Slab'));
    const oomMarks = [{ at: s.ooms.map(o => o.t), color: '#c62828', width: 2, top: true }];
    // the time axis reaches every OOM kill, also one after the last slab point
    const slabTimes = [...s.caches.flatMap(c => c.x), ...s.sunreclaim.x, ...s.ooms.map(o => o.t)];
    const slabX = { time: false, range: () => [Math.min(...slabTimes), Math.max(...slabTimes) + (slabTimes.length > 1 ? 0 : 1)] };
    if (s.caches.length) {
      // each cache on the union of the caches' times; null where a cache has no point
      const xs = [...new Set(s.caches.flatMap(c => c.x))].sort((a, b) => a - b);
      const at = new Map(xs.map((x, i) => [x, i]));
      const columnsOf = s.caches.map(c => {
        const col = new Array(xs.length).fill(null);
        c.x.forEach((x, i) => { col[at.get(x)] = c.growth[i]; });
        return col;
      });
      const palette = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#5d4037'];
      chart(document.body, { kind: 'slab-growth' }, {
        title: 'slab growth per cache (objects since first seen), top ' + s.caches.length,
        scales: { x: slabX },
        series: [{ label: 'time', value: (u, v) => (v == null ? '' : when(v)) }, ...s.caches.map((c, i) => ({ label: c.name, stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))],
        axes: [{ size: 70 }],
        plugins: [overlay({ marks: oomMarks })],
      }, [xs, ...columnsOf]);
    }
    if (s.sunreclaim.x.length) {
      chart(document.body, { kind: 'sunreclaim' }, {
        title: 'SUnreclaim (unreclaimable slab memory)',
        scales: { x: slabX },
        series: [{ label: 'time', value: (u, v) => (v == null ? '' : when(v)) }, { label: 'SUnreclaim', stroke: '#37474f', width: 1.5, value: (u, v) => bytes(v) }],
        axes: [{ values: (u, sp) => sp.map(bytes), size: 70 }],
        plugins: [overlay({ marks: oomMarks })],
      }, [s.sunreclaim.x, s.sunreclaim.bytes]);
    }
    if (s.ooms.length) {
      document.body.append(el('h3', {}, 'OOM kills (red lines)'), el('ul', { class: 'events' }, ...s.ooms.map(o => el('li', {}, when(o.t) + ': ' + o.message))));
    }
    for (const suspect of s.suspects) {
      const section = el('section', { class: 'suspect' });
      section.append(el('h3', {}, 'leak suspect: ' + suspect.cache), el('div', { class: 'verdict warning' }, suspect.message));
      section.append(el('ul', { class: 'stacks' }, ...suspect.stacks.map(st => el('li', {},
        el('code', {}, st.frames.join(' → ')),
        ' — ' + (st.objects || 0) + ' objects, by ' + st.comms.map(c => c.comm + (c.objects ? ' ×' + c.objects : '')).join(', ')))));
      document.body.append(section);
    }
  }

  if (data.others.length) {
    document.body.append(el('h2', {}, 'Other findings'), el('ul', { class: 'events' }, ...data.others.map(e => el('li', {}, el('span', { class: 'sev-' + e.severity }, when(e.t) + ' ' + e.kind), ': ' + e.message))));
  }

  // script time, and time since navigation started (parsing the page and the library included)
  document.body.dataset.renderMs = (performance.now() - started).toFixed(1);
  document.body.dataset.openedMs = performance.now().toFixed(1);
  document.body.dataset.rendered = 'true';
})();
