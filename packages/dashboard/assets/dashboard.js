// @ts-check
// The dashboard page: renders a snapshot (see src/snapshot.ts) and keeps it current, from the
// server's event stream in a browser or through the MCP App bridge inside an MCP host.
(() => {
  const body = document.body;
  const mode = body.dataset.mode ?? 'web';
  const base = body.dataset.base === '/' ? '' : (body.dataset.base ?? '');
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const el = (
    /** @type {string} */ tag,
    /** @type {Record<string,string>} */ attrs = {},
    /** @type {string} */ text = '',
  ) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  };
  /** @type {any} */ let current;
  /** Exact decimal strings printed as money; no float arithmetic on amounts. */
  const money = (/** @type {string|undefined} */ s) => {
    if (s === undefined) return '—';
    const neg = s.startsWith('-');
    const [whole, frac = ''] = (neg ? s.slice(1) : s).split('.');
    const cents = `${frac}00`.slice(0, Math.max(2, frac.replace(/0+$/, '').length));
    return `${neg ? '−' : ''}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents.slice(0, 6)}`;
  };
  const when = (/** @type {string|undefined} */ iso) => {
    if (!iso) return '';
    const d = new Date(iso);
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
    return d.toDateString() === new Date().toDateString()
      ? time
      : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
  };
  const pct = (/** @type {number|undefined} */ u) =>
    u === undefined ? undefined : Math.max(0, Math.min(100, Math.round(u * 100)));

  // ---- pools: one card per pool, kept across updates so focus stays where it was.
  /** @type {Map<string, HTMLElement>} */ const cards = new Map();
  function card(/** @type {any} */ pool) {
    let node = cards.get(pool.id);
    if (!node) {
      node = el('article', {
        class: 'pool',
        tabindex: '0',
        'aria-labelledby': `pool-${pool.id}-h`,
        'data-pool': pool.id,
      });
      node.append(
        el('h3', { id: `pool-${pool.id}-h` }),
        el('p', { class: 'balance' }),
        el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }),
        el('p', { class: 'summary' }),
        el('dl', { class: 'facts' }),
      );
      /** @type {HTMLElement} */ (node.querySelector('.bar')).append(el('span'));
      cards.set(pool.id, node);
      $('pools').append(node);
    }
    node.dataset.state = pool.state;
    const h = /** @type {HTMLElement} */ (node.querySelector('h3'));
    h.replaceChildren(
      el('span', {}, pool.id),
      el('span', { class: 'kind' }, pool.kind),
      el('span', { class: 'state' }, pool.state),
    );
    const balance = /** @type {HTMLElement} */ (node.querySelector('.balance'));
    if (pool.remainingUsd !== undefined)
      balance.replaceChildren(
        document.createTextNode(money(pool.remainingUsd)),
        el('small', {}, pool.limitUsd !== undefined ? ` left of ${money(pool.limitUsd)}` : ' left'),
      );
    else
      balance.replaceChildren(
        document.createTextNode(
          pct(pool.utilization) !== undefined ? `${pct(pool.utilization)}%` : money(pool.spentUsd),
        ),
        el('small', {}, pct(pool.utilization) !== undefined ? ' used' : ' spent'),
      );
    const used =
      pct(pool.utilization) ??
      (pool.limitUsd && Number(pool.limitUsd) > 0
        ? pct(1 - Number(pool.remainingUsd ?? 0) / Number(pool.limitUsd))
        : undefined) ??
      0;
    const bar = /** @type {HTMLElement} */ (node.querySelector('.bar'));
    bar.setAttribute('aria-valuenow', String(used));
    bar.setAttribute('aria-label', `${pool.id}: ${used}% used`);
    /** @type {HTMLElement} */ (bar.firstElementChild).style.width = `${used}%`;
    // The summary repeats what the facts list shows for capped pools; a reason (why it cannot pay) always shows.
    const summary = /** @type {HTMLElement} */ (node.querySelector('.summary'));
    summary.textContent = pool.reason ?? ((pool.limits ?? []).length === 0 ? pool.summary : '');
    summary.hidden = summary.textContent === '';
    const facts = /** @type {HTMLElement} */ (node.querySelector('.facts'));
    const rows = [['spent', money(pool.spentUsd)]];
    if (pool.heldUsd !== '0') rows.push(['held', money(pool.heldUsd)]);
    for (const limit of pool.limits ?? []) {
      const amount =
        limit.capUsd !== undefined
          ? `${money(limit.usedUsd)} / ${money(limit.capUsd)}`
          : pct(limit.utilization) !== undefined
            ? `${pct(limit.utilization)}% used`
            : limit.status;
      rows.push([limit.name, `${amount}${limit.resetsAt ? ` · resets ${when(limit.resetsAt)}` : ''}`]);
    }
    if (pool.resetsAt && !(pool.limits ?? []).some((/** @type {any} */ l) => l.resetsAt === pool.resetsAt))
      rows.push(['resets', when(pool.resetsAt)]);
    if (pool.autoReload)
      rows.push([
        'auto-reload',
        `${pool.autoReload.state === 'disabled' ? 'disabled; was: ' : ''}below ${money(pool.autoReload.thresholdUsd)}, ${pool.autoReload.amountUsd ? `buy ${money(pool.autoReload.amountUsd)}` : `top up to ${money(pool.autoReload.targetBalanceUsd)}`}`,
      ]);
    else if (pool.autoReload === null) rows.push(['auto-reload', 'off']);
    if (pool.route?.length)
      rows.push(['route', pool.route.map((/** @type {any} */ r) => `#${r.position + 1} ${r.entryId}`).join(', ')]);
    facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
    let writes = /** @type {HTMLElement|null} */ (node.querySelector('.writes'));
    if (current?.writes && pool.fundable && !writes) {
      writes = el('div', { class: 'writes' });
      const add = el('button', { type: 'button' }, 'Add funds…');
      add.addEventListener('click', () => openWrite('add_funds', pool.id));
      const reload = el('button', { type: 'button' }, 'Auto-reload…');
      reload.addEventListener('click', () => openWrite('set_auto_reload', pool.id));
      writes.append(add, reload);
      node.append(writes);
    }
  }

  function renderRoute(/** @type {any} */ route) {
    const next = $('route-next');
    if (!route) {
      next.textContent = 'No route is configured.';
      $('route').replaceChildren();
      return;
    }
    next.replaceChildren();
    if (route.next)
      next.append(
        el('strong', {}, `Next request → ${route.next.entryId}`),
        document.createTextNode(` (pool ${route.next.poolId}, ${route.next.strategyId}): ${route.next.reason}`),
      );
    else next.append(el('strong', {}, 'No entry can pay. '), document.createTextNode(route.refusal?.message ?? ''));
    $('route').replaceChildren(
      ...route.entries.map((/** @type {any} */ e) => {
        const li = el('li', { 'data-state': e.state });
        li.append(
          el('span', { class: 'badge' }, e.state),
          el('strong', {}, e.entryId),
          document.createTextNode(` → ${e.poolId}: ${e.reason}`),
        );
        return li;
      }),
    );
    $('route-after').textContent = route.whenExhausted ?? '';
  }

  // ---- chart: uPlot, stacked bars of the chosen split.
  /** @type {any} */ let chart;
  let split = 'byModel';
  const palette = ['#3559c7', '#2f9e6f', '#d08a1c', '#b3261e', '#7b4fc0', '#1b8ea8', '#8a8a84'];
  function renderChart() {
    const spend = current?.spend;
    const target = $('chart');
    $('spend-total').textContent = spend
      ? `${money(spend.totalUsd)} over the last ${spend.days.length} days (${current.timeZone})`
      : '';
    // @ts-expect-error uPlot is loaded as a global by its own script.
    const UPlot = globalThis.uPlot;
    if (!spend || !UPlot) return;
    const groups = spend[split];
    const xs = spend.days.map((/** @type {string} */ d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    // Stacked: each series is drawn as the running total of those before it.
    const running = xs.map(() => 0);
    const ys = groups.map((/** @type {any} */ g) =>
      g.usd.map((/** @type {string} */ v, /** @type {number} */ i) => (running[i] += Number(v))),
    );
    const data = [xs, ...ys.slice().reverse()];
    const names = groups.map((/** @type {any} */ g) => g.name).reverse();
    const key = `${split}|${names.join(',')}`;
    const width = Math.max(240, target.clientWidth);
    if (chart && chart.__key === key) {
      chart.setData(data);
      return;
    }
    chart?.destroy();
    const bars = UPlot.paths.bars({ size: [0.7, 40] });
    chart = new UPlot(
      {
        width,
        height: 220,
        // Half a day either side, so the first and last bars are drawn whole.
        scales: {
          x: {
            time: true,
            range: (/** @type {any} */ _u, /** @type {number} */ min, /** @type {number} */ max) => [
              min - 43_200,
              max + 43_200,
            ],
          },
        },
        axes: [
          { stroke: getComputedStyle(body).color, grid: { show: false } },
          {
            stroke: getComputedStyle(body).color,
            values: (/** @type {any} */ _u, /** @type {number[]} */ v) => v.map((n) => `$${n.toFixed(n < 10 ? 2 : 0)}`),
            size: 60,
          },
        ],
        series: [
          {},
          ...names.map((/** @type {string} */ name, /** @type {number} */ i) => ({
            label: name,
            fill: palette[(names.length - 1 - i) % palette.length],
            stroke: palette[(names.length - 1 - i) % palette.length],
            paths: bars,
            points: { show: false },
            value: (/** @type {any} */ _u, /** @type {number|null} */ v) => (v == null ? '' : `$${v.toFixed(2)}`),
          })),
        ],
        legend: { live: false },
      },
      data,
      target,
    );
    chart.__key = key;
  }
  addEventListener('resize', () => chart?.setSize({ width: Math.max(240, $('chart').clientWidth), height: 220 }));
  for (const input of document.querySelectorAll('input[name="split"]'))
    input.addEventListener('change', (e) => {
      split = /** @type {HTMLInputElement} */ (e.target).value;
      renderChart();
    });

  function renderRecent(/** @type {any[]} */ recent) {
    const tbody = /** @type {HTMLElement} */ ($('recent').querySelector('tbody'));
    if (!recent?.length) {
      const empty = el('tr');
      empty.append(el('td', { colspan: '6', class: 'empty' }, 'No requests yet.'));
      tbody.replaceChildren(empty);
      return;
    }
    tbody.replaceChildren(
      ...recent.map((r) => {
        const tr = el('tr');
        tr.append(
          el('td', {}, when(r.at)),
          el('td', {}, r.route ?? '—'),
          el('td', {}, r.pool),
          el('td', {}, r.model ?? '—'),
          el(
            'td',
            { class: 'num' },
            r.inputTokens !== undefined
              ? `${r.inputTokens.toLocaleString()} / ${(r.outputTokens ?? 0).toLocaleString()}`
              : '—',
          ),
          el('td', { class: 'num' }, money(r.costUsd)),
        );
        return tr;
      }),
    );
  }

  function renderAlerts(/** @type {any} */ snapshot) {
    const standing = snapshot.pools
      .filter((/** @type {any} */ p) => p.state !== 'available')
      .map((/** @type {any} */ p) => ({
        level: p.state === 'exhausted' ? 'critical' : 'warning',
        at: snapshot.at,
        message: `${p.id}: ${p.reason ?? p.summary}`,
      }));
    const all = [...standing, ...(snapshot.alerts ?? [])];
    $('alerts').replaceChildren(
      ...(all.length
        ? all.map((a) => {
            const li = el('li', { 'data-level': a.level });
            li.append(el('time', { datetime: a.at }, when(a.at)), document.createTextNode(a.message));
            return li;
          })
        : [el('li', { class: 'empty' }, 'Nothing needs attention.')]),
    );
  }

  function render(/** @type {any} */ snapshot) {
    if (!snapshot) return;
    current = { ...current, ...snapshot };
    $('clock').textContent = `as of ${new Date(current.at).toLocaleTimeString()} · ${current.timeZone}`;
    for (const pool of current.pools) card(pool);
    for (const [id, node] of cards)
      if (!current.pools.some((/** @type {any} */ p) => p.id === id)) {
        node.remove();
        cards.delete(id);
      }
    renderRoute(current.route);
    if (snapshot.spend) renderChart();
    if (snapshot.recent) renderRecent(current.recent);
    renderAlerts(current);
    body.dataset.updated = String(Date.now());
  }

  // ---- guarded writes: the server runs the MCP write tools, which ask their confirmation question first.
  const dialog = /** @type {HTMLDialogElement} */ ($('write-dialog'));
  /** @type {{tool: string, args: Record<string, unknown>, question?: string}|undefined} */ let pending;
  const field = (/** @type {string} */ name, /** @type {string} */ label, /** @type {string} */ hint) => {
    const l = el('label', {}, label);
    l.append(el('input', { type: 'text', name, inputmode: 'decimal', placeholder: hint }));
    return l;
  };
  function openWrite(/** @type {string} */ tool, /** @type {string} */ poolId) {
    pending = { tool, args: { poolId } };
    $('write-title').textContent = tool === 'add_funds' ? `Add funds to ${poolId}` : `Auto-reload for ${poolId}`;
    $('write-fields').replaceChildren(
      ...(tool === 'add_funds'
        ? [field('amountUsd', 'Amount (USD)', '25.00')]
        : [
            field('thresholdUsd', 'Reload below (USD; empty turns it off)', '5.00'),
            field('amountUsd', 'Buy this much (USD)', '20.00'),
          ]),
    );
    $('write-question').textContent = '';
    $('write-result').textContent = '';
    $('write-ok').textContent = 'Continue';
    dialog.showModal();
  }
  $('write-cancel').addEventListener('click', () => dialog.close());
  $('write-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending) return;
    if (!pending.question) {
      for (const input of /** @type {NodeListOf<HTMLInputElement>} */ ($('write-fields').querySelectorAll('input')))
        if (input.value.trim()) pending.args[input.name] = input.value.trim();
      if (pending.tool === 'set_auto_reload') pending.args.enabled = pending.args.thresholdUsd !== undefined;
    }
    const response = await fetch(`${base}/api/write/${pending.tool}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ args: pending.args, ...(pending.question && { confirmed: pending.question }) }),
    });
    const outcome = await response.json().catch(() => ({ kind: 'error', message: `HTTP ${response.status}` }));
    if (outcome.kind === 'confirm') {
      pending.question = outcome.question;
      $('write-question').textContent = outcome.question;
      $('write-ok').textContent = 'Yes, go ahead';
      // The question is about these exact values: lock them, and put focus on the answer.
      for (const input of /** @type {NodeListOf<HTMLInputElement>} */ ($('write-fields').querySelectorAll('input')))
        input.readOnly = true;
      $('write-ok').focus();
      return;
    }
    $('write-question').textContent = '';
    $('write-result').textContent =
      outcome.kind === 'done' ? (outcome.result?.message ?? 'Done.') : (outcome.message ?? 'Refused.');
    if (outcome.kind === 'done') setTimeout(() => dialog.close(), 1200);
    pending = outcome.kind === 'done' ? undefined : { tool: pending.tool, args: pending.args };
  });

  // ---- live updates
  const live = $('live');
  function connectWeb() {
    const source = new EventSource(`${base}/api/events`);
    source.addEventListener('snapshot', (e) => {
      render(JSON.parse(/** @type {MessageEvent} */ (e).data));
      live.classList.add('on');
      live.textContent = 'live';
    });
    source.addEventListener('error', () => {
      live.classList.remove('on');
      live.textContent = 'reconnecting…';
    });
  }
  async function connectApp() {
    // @ts-expect-error the ext-apps App class, inlined before this script.
    const { App } = globalThis.McpApps;
    const app = new App({ name: 'drawdown-dashboard', version: '1.0.0' });
    const fromTool = (/** @type {any} */ result) => result?.structuredContent;
    const refresh = async () => {
      const [status, route] = await Promise.all([
        app.callServerTool({ name: 'pool_status', arguments: {} }),
        app.callServerTool({ name: 'which_pool', arguments: {} }).catch(() => undefined),
      ]);
      const s = fromTool(status);
      if (s) render({ ...current, pools: s.pools, at: s.at, ...(fromTool(route) && { route: fromTool(route) }) });
    };
    // The host hands over pool_status results as the model calls it; the route is read to match.
    app.ontoolresult = (/** @type {any} */ params) => {
      const pools = fromTool(params)?.pools;
      if (!pools) return;
      render({ ...current, pools, at: fromTool(params).at });
      void app
        .callServerTool({ name: 'which_pool', arguments: {} })
        .then((/** @type {any} */ r) => fromTool(r) && render({ ...current, route: fromTool(r) }))
        .catch(() => undefined);
    };
    await app.connect();
    live.classList.add('on');
    live.textContent = 'in app';
    const tick = () =>
      void refresh().catch(() => {
        live.classList.remove('on');
        live.textContent = 'offline';
      });
    tick();
    setInterval(tick, 5000);
  }

  const initial = JSON.parse($('initial').textContent || 'null');
  if (initial) render(initial);
  if (mode === 'app')
    void connectApp().catch((error) => {
      live.textContent = `not connected: ${error?.message ?? error}`;
    });
  else connectWeb();
})();
