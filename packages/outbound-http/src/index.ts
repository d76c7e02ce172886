export {
  type AddressCheck,
  BlockedAddressError,
  createAddressCheck,
  createOutboundHttp,
  InvalidUrlError,
  type OutboundHttp,
  type OutboundHttpOptions,
  type OutboundMethod,
  type OutboundResponse,
  ResponseTooLargeError,
} from './outbound-http.js';
export { scriptFetch } from './script-fetch.js';
