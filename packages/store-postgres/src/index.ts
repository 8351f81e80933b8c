export { postgresStore, postgresStoreOptionProblems, type PostgresStoreOptions } from './postgres-store.js';
