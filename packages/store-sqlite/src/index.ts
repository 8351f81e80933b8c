export { sqliteStore, sqliteStoreOptionProblems, type Durability, type SqliteStoreOptions } from './sqlite-store.js';
export { defaultDatabasePath } from './default-path.js';
