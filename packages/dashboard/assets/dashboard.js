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
  /** Exact decimal USD strings to whole cents, half up, without float arithmetic; the exact amount stays for hover. */
  const cents = (/** @type {string} */ s) => {
    const neg = s.startsWith('-');
    const [whole = '0', frac = ''] = (neg ? s.slice(1) : s).split('.');
    let value = BigInt(whole) * 100n + BigInt(`${frac}00`.slice(0, 2));
    if ((frac[2] ?? '0') >= '5') value += 1n;
    return { neg, value, zero: /^0*$/.test(whole + frac) };
  };
  const group = (/** @type {string} */ digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  /** "$1,234.57"; an amount under a cent reads "<$0.01", never as free. */
  const money = (/** @type {string|undefined} */ s) => {
    if (s === undefined) return '—';
    const { neg, value, zero } = cents(s);
    if (value === 0n && !zero) return neg ? '>−$0.01' : '<$0.01';
    const text = String(value).padStart(3, '0');
    return `${neg ? '−' : ''}$${group(text.slice(0, -2))}.${text.slice(-2)}`;
  };
  /** The amount to the last digit the ledger keeps, e.g. "$23.936365". */
  const exact = (/** @type {string|undefined} */ s) => {
    if (s === undefined) return '';
    const neg = s.startsWith('-');
    const [whole = '0', frac = ''] = (neg ? s.slice(1) : s).split('.');
    return `${neg ? '−' : ''}$${group(whole)}.${frac.padEnd(2, '0')}`;
  };
  /** Money in cents, with the exact amount on hover (and for screen readers, in the title). */
  const moneyNode = (/** @type {string|undefined} */ s) => {
    const node = el('span', { class: 'money', ...(s !== undefined && { title: exact(s) }) }, money(s));
    return node;
  };
  // One date-time format on the page, in the configured time zone ("Dec 3, 14:05").
  /** @type {Intl.DateTimeFormat|undefined} */ let stamp;
  /** @type {string|undefined} */ let stampZone;
  const when = (/** @type {string|undefined} */ iso) => {
    if (!iso) return '';
    const zone = current?.timeZone ?? 'UTC';
    if (!stamp || stampZone !== zone) {
      const options = /** @type {const} */ ({
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
      try {
        stamp = new Intl.DateTimeFormat('en-US', { ...options, timeZone: zone });
      } catch {
        stamp = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
      }
      stampZone = zone;
    }
    return stamp.format(new Date(iso));
  };
  /** A local day ("2026-12-03") in the same style: "Dec 3". */
  const dayLabel = (/** @type {string} */ day) =>
    new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
      new Date(`${day}T12:00:00Z`),
    );
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
        el('p', { class: 'forecast' }),
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
        moneyNode(pool.remainingUsd),
        el('small', {}, pool.limitUsd !== undefined ? ` left of ${money(pool.limitUsd)}` : ' left'),
      );
    else if (pct(pool.utilization) !== undefined)
      balance.replaceChildren(document.createTextNode(`${pct(pool.utilization)}%`), el('small', {}, ' used'));
    else balance.replaceChildren(moneyNode(pool.spentUsd), el('small', {}, ' spent'));
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
    // The pool's forecast from pool_status: always worded as one ("forecast: …"), with the rate it assumes.
    const forecast = /** @type {HTMLElement} */ (node.querySelector('.forecast'));
    forecast.textContent = pool.forecast?.summary ?? '';
    forecast.hidden = forecast.textContent === '';
    const facts = /** @type {HTMLElement} */ (node.querySelector('.facts'));
    /** @type {Array<[string, Array<Node|string>]>} */
    const rows = [['spent', [moneyNode(pool.spentUsd)]]];
    if (pool.heldUsd !== '0') rows.push(['held', [moneyNode(pool.heldUsd)]]);
    for (const limit of pool.limits ?? []) {
      const resets = limit.resetsAt ? ` · resets ${when(limit.resetsAt)}` : '';
      // A wallet's balance limit counts spend against funds added: show the balance itself, said so.
      const balanceUsd = limit.name === 'credit balance' ? pool.details?.balanceUsd : undefined;
      /** @type {Array<Node|string>} */
      const amount =
        balanceUsd !== undefined
          ? [
              moneyNode(balanceUsd),
              ' balance',
              ...(limit.capUsd !== undefined ? [' of ', moneyNode(limit.capUsd), ' added'] : []),
            ]
          : limit.capUsd !== undefined
            ? [moneyNode(limit.usedUsd ?? '0'), ' spent of ', moneyNode(limit.capUsd)]
            : pct(limit.utilization) !== undefined
              ? [`${pct(limit.utilization)}% used`]
              : [limit.status];
      rows.push([limit.name, [...amount, resets]]);
    }
    if (pool.resetsAt && !(pool.limits ?? []).some((/** @type {any} */ l) => l.resetsAt === pool.resetsAt))
      rows.push(['resets', [when(pool.resetsAt)]]);
    if (pool.autoReload) {
      const reload = pool.autoReload;
      rows.push([
        'auto-reload',
        [
          reload.state === 'disabled' ? 'disabled; was: ' : '',
          'below ',
          moneyNode(reload.thresholdUsd),
          reload.amountUsd ? ', buy ' : ', top up to ',
          moneyNode(reload.amountUsd ?? reload.targetBalanceUsd),
        ],
      ]);
    } else if (pool.autoReload === null) rows.push(['auto-reload', ['off']]);
    if (pool.route?.length)
      rows.push(['route', [pool.route.map((/** @type {any} */ r) => `#${r.position + 1} ${r.entryId}`).join(', ')]]);
    facts.replaceChildren(
      ...rows.flatMap(([k, parts]) => {
        const dd = el('dd');
        dd.append(...parts);
        return [el('dt', {}, k), dd];
      }),
    );
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

  // ---- chart: uPlot, stacked bars of the chosen split, with observed spend beside the metered.
  /** @type {any} */ let chart;
  let split = 'byModel';
  const palette = ['#3559c7', '#2f9e6f', '#d08a1c', '#b3261e', '#7b4fc0', '#1b8ea8', '#8a8a84'];
  const OBSERVED = '#9a9a92';
  /** The series to draw: metered by the chosen split, then observed (Claude Code's logs) as its own series. */
  function chartGroups() {
    const spend = current?.spend;
    const observed = current?.observed;
    if (current?.mode === 'zero-config')
      return (observed?.byModel ?? []).map((/** @type {any} */ g) => ({ ...g, name: `${g.name} (observed)` }));
    const groups = [...(spend?.[split] ?? [])];
    if (observed && observed.totalUsd !== '0') {
      const perDay = spend.days.map((/** @type {string} */ _d, /** @type {number} */ i) =>
        observed.byModel.reduce((/** @type {number} */ sum, /** @type {any} */ g) => sum + Number(g.usd[i]), 0),
      );
      groups.push({ name: 'Claude Code (observed)', usd: perDay.map(String), observed: true });
    }
    return groups;
  }
  function renderChart() {
    const spend = current?.spend;
    const target = $('chart');
    const observed = current?.observed;
    const total = $('spend-total');
    total.replaceChildren();
    if (spend) {
      if (current.mode !== 'zero-config') total.append('metered ', moneyNode(spend.totalUsd));
      if (observed)
        total.append(
          current.mode !== 'zero-config' ? ' · ' : '',
          'Claude Code ',
          moneyNode(observed.totalUsd),
          ' (observed, not enforced)',
        );
      total.append(` over the last ${spend.days.length} days (${current.timeZone})`);
    }
    // @ts-expect-error uPlot is loaded as a global by its own script.
    const UPlot = globalThis.uPlot;
    if (!spend || !UPlot) return;
    const groups = chartGroups();
    // The projection continues past today (the last day shown) at the rates the pools' forecasts assume.
    const projection = spend.forecast?.basis === 'projected' ? spend.forecast : undefined;
    const ahead = projection ? projection.days.slice(1) : [];
    const days = [...spend.days, ...ahead];
    const xs = days.map((/** @type {string} */ d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    const own = groups.map((/** @type {any} */ g) => [...g.usd.map(Number), ...ahead.map(() => null)]);
    // Stacked: each series is drawn as the running total of those before it; hover shows its own value.
    const running = xs.map(() => 0);
    const ys = own.map((/** @type {Array<number|null>} */ values) =>
      values.map((v, i) => (v === null ? null : (running[i] += v))),
    );
    const names = groups.map((/** @type {any} */ g) => g.name).reverse();
    const colors = groups
      .map((/** @type {any} */ g, /** @type {number} */ i) => (g.observed ? OBSERVED : palette[i % palette.length]))
      .reverse();
    const ownValues = own.slice().reverse();
    const data = [xs, ...ys.slice().reverse()];
    if (projection) {
      const perDay = Number(projection.perDayUsd);
      const line = days.map((_d, i) => (i >= spend.days.length - 1 ? perDay : null));
      data.push(line);
      ownValues.push(line);
    }
    const note = $('spend-forecast');
    note.hidden = !spend.forecast;
    note.textContent = spend.forecast?.summary ?? '';
    note.dataset.basis = spend.forecast?.basis ?? '';
    const key = `${current.mode}|${split}|${names.join(',')}|${days[0]}|${days.length}|${projection ? 'f' : ''}`;
    const width = Math.max(240, target.clientWidth);
    if (chart && chart.__key === key) {
      chart.__own = ownValues;
      chart.setData(data);
      return;
    }
    chart?.destroy();
    const bars = UPlot.paths.bars({ size: [0.7, 40] });
    const ink = getComputedStyle(body).color;
    chart = new UPlot(
      {
        width,
        height: 220,
        // Half a day either side, so the first and last bars are drawn whole; ticks only on the days shown.
        scales: {
          x: {
            time: false,
            range: (/** @type {any} */ _u, /** @type {number} */ min, /** @type {number} */ max) => [
              min - 43_200,
              max + 43_200,
            ],
          },
        },
        axes: [
          {
            stroke: ink,
            grid: { show: false },
            splits: () => xs.filter((_x, i) => i % Math.ceil(xs.length / Math.max(1, Math.floor(width / 70))) === 0),
            values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) =>
              ticks.map((t) => dayLabel(new Date(t * 1000).toISOString().slice(0, 10))),
          },
          {
            stroke: ink,
            values: (/** @type {any} */ _u, /** @type {number[]} */ v) => v.map((n) => `$${n.toFixed(n < 10 ? 2 : 0)}`),
            size: 60,
          },
        ],
        series: [
          {
            label: 'day',
            value: (/** @type {any} */ _u, /** @type {number|null} */ x) =>
              x == null ? '' : dayLabel(new Date(x * 1000).toISOString().slice(0, 10)),
          },
          ...names.map((/** @type {string} */ name, /** @type {number} */ i) => ({
            label: name,
            fill: colors[i],
            stroke: colors[i],
            paths: bars,
            points: { show: false },
            value: (
              /** @type {any} */ u,
              /** @type {number|null} */ _v,
              /** @type {number} */ s,
              /** @type {number|null} */ idx,
            ) => (idx == null || u.__own?.[s - 1]?.[idx] == null ? '' : money(String(u.__own[s - 1][idx]))),
          })),
          ...(projection
            ? [
                {
                  // Marked as what it is, with the rate it assumes in the note under the chart.
                  label: 'forecast',
                  stroke: getComputedStyle(body).getPropertyValue('--accent').trim() || '#3559c7',
                  width: 2,
                  dash: [6, 4],
                  points: { show: false },
                  value: (/** @type {any} */ _u, /** @type {number|null} */ v) =>
                    v == null ? '' : `${money(projection.perDayUsd)}/day`,
                },
              ]
            : []),
        ],
        // A dashed series (the forecast) gets a dashed legend marker: a projection, not spend.
        legend: {
          live: true,
          markers: {
            dash: (/** @type {any} */ u, /** @type {number} */ i) => (u.series[i].dash ? 'dashed' : 'solid'),
          },
        },
      },
      data,
      target,
    );
    chart.__own = ownValues;
    chart.__key = key;
  }
  addEventListener('resize', () => chart?.setSize({ width: Math.max(240, $('chart').clientWidth), height: 220 }));
  for (const input of document.querySelectorAll('input[name="split"]'))
    input.addEventListener('change', (e) => {
      split = /** @type {HTMLInputElement} */ (e.target).value;
      renderChart();
    });

  /** Claude Code's own spend from its logs: what it is, and what the reader left out. */
  function renderObserved(/** @type {any} */ observed) {
    const block = $('observed-block');
    block.hidden = !observed;
    if (!observed) return;
    const facts = [
      [
        'spent',
        [moneyNode(observed.totalUsd), ` over ${observed.requests.toLocaleString('en-US')} calls, at API prices`],
      ],
    ];
    if (observed.metered.requests > 0)
      facts.push([
        'metered',
        [
          `${observed.metered.requests.toLocaleString('en-US')} calls (`,
          moneyNode(observed.metered.costUsd),
          ') drawdown metered itself: in the pools, not here',
        ],
      ]);
    if (observed.unconfirmedUsd !== '0')
      facts.push([
        'unconfirmed',
        [moneyNode(observed.unconfirmedUsd), ` of it at prices marked [U] (${observed.unconfirmedModels.join(', ')})`],
      ]);
    for (const u of observed.unpriced)
      facts.push(['unpriced', [`${u.model}: ${u.requests} calls the rate card cannot price (not counted as $0)`]]);
    const skipped = Object.entries(observed.skipped).filter(([, n]) => /** @type {number} */ (n) > 0);
    if (skipped.length)
      facts.push(['skipped', [`${skipped.map(([reason, n]) => `${n} ${reason}`).join(', ')} log lines`]]);
    $('observed').replaceChildren(
      ...facts.flatMap(([k, parts]) => {
        const dd = el('dd');
        dd.append(.../** @type {Array<Node|string>} */ (parts));
        return [el('dt', {}, /** @type {string} */ (k)), dd];
      }),
    );
  }

  /** A signed amount to the ledger's last digit: "+$0.003", "−$0.225". */
  const signedUsd = (/** @type {string} */ s) => (s.startsWith('-') ? exact(s) : `+${exact(s)}`);
  const signed = (/** @type {number} */ n) =>
    n < 0 ? `−${(-n).toLocaleString('en-US')}` : `+${n.toLocaleString('en-US')}`;
  const STATUS = /** @type {Record<string,string>} */ ({
    drift: 'drift',
    'not-reported-yet': 'not reported yet',
    'not-final': 'not final yet',
    match: 'match',
  });

  /** The ledger against Anthropic's usage report: the last check, drift named per category, unreported buckets apart. */
  function renderReconcile(/** @type {any} */ card) {
    const block = $('reconcile-block');
    block.hidden = !card;
    if (!card) return;
    const summary = $('reconcile-summary');
    const list = $('reconcile');
    if (!card.enabled) {
      summary.textContent = card.howTo;
      summary.className = 'muted';
      list.replaceChildren();
      return;
    }
    summary.className = '';
    summary.replaceChildren();
    const result = card.result;
    if (result) {
      const t = result.totals;
      summary.append(
        `Checked ${when(result.at)}, ${result.bucket} buckets, tolerance ${exact(result.toleranceUsd)}: `,
        `${t.match} match · ${t.drift} drift`,
      );
      if (t.drift > 0) summary.append(' (', moneyNode(t.driftUsd), ')');
      summary.append(` · ${t.pending} not reported yet.`);
      for (const shared of result.sharedKeys)
        summary.append(
          ` Key ${shared.apiKeyId} is shared by ${shared.pools.join(', ')}: matched per key, not per pool.`,
        );
    }
    if (card.error)
      summary.append(
        `${result ? ' ' : ''}The last check failed (${when(card.error.at)}): ${card.error.message}. Next try ${when(card.nextAt)}.`,
      );
    const groups = (result?.groups ?? []).filter((/** @type {any} */ g) => g.status !== 'match');
    if (!result) {
      list.replaceChildren();
      return;
    }
    if (groups.length === 0) {
      list.replaceChildren(
        el(
          'li',
          { class: 'empty' },
          result.groups.length ? 'Every bucket matches.' : 'Nothing to compare in the last 24 h.',
        ),
      );
      return;
    }
    list.replaceChildren(
      ...groups.map((/** @type {any} */ g) => {
        const li = el('li', { 'data-status': g.status });
        li.append(
          el('span', { class: 'status' }, STATUS[g.status] ?? g.status),
          ` ${when(g.bucketStart)} · ${g.pools.join(', ')} · ${g.model}`,
        );
        if (g.status === 'drift' && g.driftUsd !== undefined) li.append(' · ', moneyNode(g.driftUsd));
        if (g.reason) li.append(el('div', { class: 'reason' }, g.reason));
        // Only drift is itemised: a bucket Anthropic is still reporting differs by what it has not counted yet.
        if (g.status === 'drift' && g.drift.length) {
          const lines = el('ul');
          for (const d of g.drift)
            lines.append(
              el(
                'li',
                {},
                `${card.labels[d.category] ?? d.category}: ledger ${d.ledger.toLocaleString('en-US')}, Anthropic ${d.reported.toLocaleString('en-US')} (${signed(d.tokens)}${d.usd !== undefined ? `, ${signedUsd(d.usd)}` : ''})`,
              ),
            );
          li.append(lines);
        }
        return li;
      }),
    );
  }

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
        const cost = el('td', { class: 'num col-cost' });
        cost.append(moneyNode(r.costUsd));
        tr.append(
          el('td', { class: 'col-time' }, when(r.at)),
          el('td', { class: 'col-route' }, r.route ?? '—'),
          el('td', { class: 'col-pool' }, r.pool),
          el('td', { class: 'col-model' }, r.model ?? '—'),
          el(
            'td',
            { class: 'num col-tokens' },
            r.inputTokens !== undefined
              ? `${r.inputTokens.toLocaleString('en-US')} / ${(r.outputTokens ?? 0).toLocaleString('en-US')}`
              : '—',
          ),
          cost,
        );
        return tr;
      }),
    );
  }

  function renderAlerts(/** @type {any} */ snapshot) {
    const logged = snapshot.alerts ?? [];
    // A standing state carries the time of the event that announced it, when this server saw it; never the page's time.
    const standing = snapshot.pools
      .filter((/** @type {any} */ p) => p.state !== 'available')
      .map((/** @type {any} */ p) => ({
        level: p.state === 'exhausted' ? 'critical' : 'warning',
        at: logged.find((/** @type {any} */ a) => a.poolId === p.id && a.level !== 'info')?.at,
        message: `${p.id}: ${p.reason ?? p.summary}`,
      }));
    const all = [...standing, ...logged];
    $('alerts').replaceChildren(
      ...(all.length
        ? all.map((a) => {
            const li = el('li', { 'data-level': a.level });
            li.append(
              a.at ? el('time', { datetime: a.at }, when(a.at)) : el('span', { class: 'now' }, 'now'),
              document.createTextNode(a.message),
            );
            return li;
          })
        : [el('li', { class: 'empty' }, 'Nothing needs attention.')]),
    );
  }

  function render(/** @type {any} */ snapshot) {
    if (!snapshot) return;
    current = { ...current, ...snapshot };
    $('clock').textContent = `as of ${when(current.at)} (${current.timeZone})`;
    const zeroConfig = current.mode === 'zero-config';
    body.dataset.view = zeroConfig ? 'zero-config' : 'configured';
    for (const id of ['pools-block', 'route-block', 'recent-block', 'alerts-block']) $(id).hidden = zeroConfig;
    $('split').hidden = zeroConfig;
    $('mode-note').hidden = !zeroConfig;
    for (const pool of current.pools) card(pool);
    for (const [id, node] of cards)
      if (!current.pools.some((/** @type {any} */ p) => p.id === id)) {
        node.remove();
        cards.delete(id);
      }
    renderRoute(current.route);
    if (snapshot.spend || snapshot.observed) renderChart();
    renderObserved(current.observed);
    renderReconcile(current.reconcile);
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
