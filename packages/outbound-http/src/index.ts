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
  RawBody,
  ResponseTooLargeError,
} from './outbound-http.js';
export { scriptFetch } from './script-fetch.js';
export { type HttpKeyword, type ScriptHttpOptions, scriptHttpKeywords } from './script-http-keywords.js';
export { urlForMessage } from './url-for-message.js';
