import type { ServiceApp } from '@conduit/service-kit';
import type { MailDeps } from '../deps.js';

/** Registered behind `authenticate`; filled in by the next commits. */
export function accountRoutes(_app: ServiceApp, _deps: MailDeps) {}
