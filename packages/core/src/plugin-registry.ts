import type { DrawdownPlugin, PluginKind } from './contracts/plugin.js';
import { DrawdownError, ErrorCodes, invalidOption } from './errors.js';

const KINDS: readonly PluginKind[] = ['auth', 'pool', 'store', 'notifier', 'other'];

/** Checks a plugin's shape; every problem names the plugin and the field. */
export function validatePlugin(plugin: DrawdownPlugin, index: number): void {
  const owner = `plugins[${index}]${plugin && typeof plugin.id === 'string' ? ` ("${plugin.id}")` : ''}`;
  if (!plugin || typeof plugin !== 'object')
    throw invalidOption(
      owner,
      'plugin',
      'is not an object',
      'Pass the result of a plugin factory, e.g. budget({...}).',
    );
  if (typeof plugin.id !== 'string' || plugin.id.trim() === '')
    throw invalidOption(owner, 'id', 'is missing', 'Every plugin needs a unique id.');
  if (!KINDS.includes(plugin.kind))
    throw invalidOption(owner, 'kind', `is "${String(plugin.kind)}"`, `Use one of ${KINDS.join(', ')}.`);
  if (typeof plugin.setup !== 'function')
    throw invalidOption(owner, 'setup', 'is not a function', 'Give the plugin a setup(ctx) function.');
  if (
    plugin.dependencies !== undefined &&
    (!Array.isArray(plugin.dependencies) || plugin.dependencies.some((d) => typeof d !== 'string'))
  ) {
    throw invalidOption(owner, 'dependencies', 'is not a list of plugin ids', 'Write it like ["oauth"].');
  }
}

/**
 * Orders plugins so each comes after its dependencies, refusing duplicates, missing dependencies
 * and cycles with coded errors that name the plugin and the dependency.
 */
export function orderPlugins(
  plugins: readonly DrawdownPlugin[],
  alreadyRegistered: ReadonlySet<string>,
): DrawdownPlugin[] {
  const byId = new Map<string, DrawdownPlugin>();
  plugins.forEach((plugin, index) => {
    validatePlugin(plugin, index);
    if (byId.has(plugin.id) || alreadyRegistered.has(plugin.id)) {
      throw new DrawdownError(
        ErrorCodes.DUPLICATE_PLUGIN,
        `plugin id "${plugin.id}" is registered twice; give each plugin its own id.`,
        {
          data: { plugin: plugin.id, field: 'id' },
        },
      );
    }
    byId.set(plugin.id, plugin);
  });
  for (const plugin of plugins) {
    for (const dependency of plugin.dependencies ?? []) {
      if (!byId.has(dependency) && !alreadyRegistered.has(dependency)) {
        throw new DrawdownError(
          ErrorCodes.MISSING_DEPENDENCY,
          `plugin "${plugin.id}" depends on "${dependency}", which is not registered. Add the "${dependency}" plugin to the hub.`,
          { data: { plugin: plugin.id, field: 'dependencies', dependency } },
        );
      }
    }
  }
  const ordered: DrawdownPlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (plugin: DrawdownPlugin, path: string[]): void => {
    const mark = state.get(plugin.id);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      throw new DrawdownError(
        ErrorCodes.DEPENDENCY_CYCLE,
        `plugins depend on each other in a cycle: ${[...path, plugin.id].join(' → ')}`,
        {
          data: { plugin: plugin.id, field: 'dependencies', cycle: [...path, plugin.id] },
        },
      );
    }
    state.set(plugin.id, 'visiting');
    for (const dependency of plugin.dependencies ?? []) {
      const dep = byId.get(dependency);
      if (dep) visit(dep, [...path, plugin.id]);
    }
    state.set(plugin.id, 'done');
    ordered.push(plugin);
  };
  for (const plugin of plugins) visit(plugin, []);
  return ordered;
}
