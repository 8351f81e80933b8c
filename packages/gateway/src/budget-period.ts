/** What a budget covers: its whole life, or each calendar day, week or month in the hub's time zone. */
export type BudgetPeriod = 'lifetime' | 'day' | 'week' | 'month';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['lifetime', 'day', 'week', 'month'];
