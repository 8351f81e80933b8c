export { sqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { defaultDatabasePath } from './default-path.js';
