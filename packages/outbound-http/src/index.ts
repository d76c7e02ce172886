export {
  BlockedAddressError,
  createOutboundHttp,
  InvalidUrlError,
  type OutboundHttp,
  type OutboundHttpOptions,
  type OutboundResponse,
  ResponseTooLargeError,
} from './outbound-http.js';
