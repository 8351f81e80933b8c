import './events.js';

export { credits, isCreditsPool, type CreditsPool } from './wallet.js';
export type { CreditsOptions, AutoReloadOptions, AlertOptions, PromotionalGrantOption, UsdAmount } from './options.js';
export type { CreditsStatusDetails } from './status.js';
export type { ReloadOutcome } from './auto-reload.js';
export type { ReloadFailure } from './events.js';
export type { PaymentProvider, ChargeInput, ChargeResult, GrantFundsInput, WalletHandle } from './payment-provider.js';
export { manualProvider, type ManualProvider } from './manual-provider.js';
export { CreditsErrorCodes, type CreditsErrorCode } from './errors.js';
export { stripeProvider, type StripeProviderOptions } from './stripe-provider.js';
export {
  webhookNotifier,
  verifyWebhookSignature,
  signWebhook,
  SIGNATURE_HEADER,
  type WebhookNotifierOptions,
  type WebhookBody,
} from './notifiers/webhook.js';
export { emailNotifier, type EmailNotifierOptions } from './notifiers/email.js';
export { DEFAULT_ALERT_EVENTS, type AlertEventName, type AlertMessage } from './notifiers/alert-message.js';
