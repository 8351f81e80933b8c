import { Command } from 'commander';
import { forecastPools } from '@drawdown/core/forecast';
import type { CliContext } from '../context.js';
import { describeStore } from '../hub/store.js';
import { displayOf, EXACT_FLAG } from '../render/money.js';
import { renderStatus, withDecimalStrings } from '../render/status.js';
import { isZeroConfig, loadFor, withLoadedHub } from '../session.js';
import {
  claudeUsageJson,
  observedRange,
  readObserved,
  renderObserved,
  renderZeroConfig,
  zeroConfigJson,
  zeroConfigView,
} from '../zero-config/index.js';

export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description(
      'every pool: usage bar, balance, caps, reset times, a forecast and the active route entry (without a config: what Claude Code spent here)',
    )
    .option(...EXACT_FLAG)
    .option('--json', 'print JSON with exact decimal strings')
    .action(async (options: { exact?: boolean; json?: boolean }, command: Command) => {
      const loaded = await loadFor(ctx, command);
      const view = { ...ctx.term, usd: displayOf(options) };
      if (isZeroConfig(loaded)) {
        const zero = await zeroConfigView({ env: ctx.env, searched: loaded.searched });
        ctx.term.out(options.json ? JSON.stringify(zeroConfigJson(zero), null, 2) : renderZeroConfig(zero, view));
        return;
      }
      await withLoadedHub(ctx, loaded, async (hub) => {
        const status = await hub.status();
        const forecasts = await forecastPools(hub.store, status.pools, status.at);
        const pools = status.pools.map((pool, i) => ({ ...pool, forecast: forecasts[i] }));
        // Beside the pools: what Claude Code spent here that drawdown did not meter (observed, not enforced).
        const range = observedRange(status.at, hub.timeZone);
        const observed = await readObserved(ctx.env, range, hub.store);
        ctx.term.out(
          options.json
            ? JSON.stringify(
                { ...(withDecimalStrings({ ...status, pools }) as object), observed: claudeUsageJson(observed, range) },
                null,
                2,
              )
            : `${renderStatus(status, view, describeStore(loaded.config.store, ctx.env), forecasts)}${observed.files > 0 ? `\n\n${renderObserved(observed, range, view)}` : ''}`,
        );
      });
    });
}
