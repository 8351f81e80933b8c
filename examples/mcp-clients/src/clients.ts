/** The MCP clients this example configures, and where each reads its configuration. */
export const CLIENTS = {
  'claude-desktop': {
    file: 'claude-desktop/claude_desktop_config.json',
    where:
      'macOS: ~/Library/Application Support/Claude/claude_desktop_config.json · Windows: %APPDATA%\\Claude\\claude_desktop_config.json',
  },
  'claude-code': {
    file: 'claude-code/.mcp.json',
    where:
      'the project root (.mcp.json), or for every project: claude mcp add drawdown -s user -- npx -y @drawdown/cli mcp',
  },
  cursor: {
    file: 'cursor/mcp.json',
    where: 'the project (.cursor/mcp.json) or your home directory (~/.cursor/mcp.json)',
  },
} as const;

export type ClientName = keyof typeof CLIENTS;

export interface ServerEntry {
  type?: 'stdio';
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * The `mcpServers` entry for drawdown: the CLI's `mcp` command over stdio. Without `configPath` it
 * finds the configuration as every drawdown command does (the project's drawdown.config.json, then
 * the user file `drawdown config init --global` writes); with it, DRAWDOWN_CONFIG names one file.
 * No key goes in here: the MCP server reads pools, it does not call the API. Add "--writes" to the
 * args to offer add_funds / set_auto_reload.
 */
export function mcpClientConfig(client: ClientName, configPath?: string): { mcpServers: Record<string, ServerEntry> } {
  const entry: ServerEntry = {
    command: 'npx',
    args: ['-y', '@drawdown/cli', 'mcp'],
    ...(configPath !== undefined && { env: { DRAWDOWN_CONFIG: configPath } }),
  };
  // Claude Code's project file names the transport; the others assume stdio for a command.
  return { mcpServers: { drawdown: client === 'claude-code' ? { type: 'stdio', ...entry } : entry } };
}
