import type { McpServer } from '@modelcontextprotocol/server';
import { isRecord } from '@drawdown/core/internal';

type Json = Record<string, unknown>;

// Keywords that describe a schema without constraining it: they stay beside an `anyOf`.
const ANNOTATIONS = new Set([
  'description',
  'title',
  'default',
  'examples',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
]);
/**
 * Rewrites a JSON Schema into the spelling every MCP client maps: a `type` array (zod's nullable,
 * `["boolean","null"]`) becomes `anyOf` with one type per branch, and an empty schema that
 * constrains nothing (zod's `unknown`, `{}`) becomes an explicit `true`. Clients that translate tool
 * schemas into a single-type dialect (the Inspector's `--strict` warns about both) then keep them.
 */
export function portableJsonSchema(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  if (Object.keys(schema).length === 0) return true;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case 'properties':
      case '$defs':
      case 'definitions':
      case 'patternProperties':
        out[key] = isRecord(value)
          ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, portableJsonSchema(sub)]))
          : value;
        break;
      case 'items':
      case 'additionalProperties':
      case 'propertyNames':
      case 'not':
      case 'contains':
        out[key] = portableJsonSchema(value);
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
      case 'prefixItems':
        out[key] = Array.isArray(value) ? value.map(portableJsonSchema) : value;
        break;
      default:
        out[key] = value;
    }
  }
  if (!Array.isArray(out.type)) return out;
  const { type, ...rest } = out as { type: string[] } & Json;
  const kept = Object.fromEntries(Object.entries(rest).filter(([key]) => ANNOTATIONS.has(key)));
  const constraints = Object.fromEntries(Object.entries(rest).filter(([key]) => !ANNOTATIONS.has(key)));
  // Constraints (a pattern, a minimum) belong to the non-null branch they were written for.
  return { ...kept, anyOf: type.map((t) => (t === 'null' ? { type: t } : { type: t, ...constraints })) };
}

interface StandardJsonSchema {
  jsonSchema?: { input(options: unknown): unknown; output(options: unknown): unknown };
}

/** The same schema (validation untouched), reporting its JSON Schema in the portable spelling. */
export function portable<S extends object>(schema: S): S {
  return new Proxy(schema, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== '~standard' || !isRecord(value)) return value;
      const std = value as StandardJsonSchema & Json;
      if (!std.jsonSchema) return value;
      const { input, output } = std.jsonSchema;
      return {
        ...std,
        jsonSchema: {
          input: (options: unknown) => portableJsonSchema(input(options)),
          output: (options: unknown) => portableJsonSchema(output(options)),
        },
      };
    },
  });
}

/** `server` itself, except that tools registered through it get portable input and output schemas. */
export function withPortableSchemas(server: McpServer): McpServer {
  const registerTool = (
    name: string,
    config: { inputSchema?: object; outputSchema?: object } & Json,
    handler: unknown,
  ) => {
    const wrapped = {
      ...config,
      ...(config.inputSchema && { inputSchema: portable(config.inputSchema) }),
      ...(config.outputSchema && { outputSchema: portable(config.outputSchema) }),
    };
    return server.registerTool(name, wrapped as never, handler as never);
  };
  // Everything else (server.server, for a tool that asks its user) is the server's own.
  return new Proxy(server, {
    get: (target, key, receiver) => (key === 'registerTool' ? registerTool : Reflect.get(target, key, receiver)),
  });
}
