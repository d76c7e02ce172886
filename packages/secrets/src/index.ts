export { SecretBox, parseKeyring, type Keyring } from './secret-box.js';
