export { type Keyring, parseKeyring, SecretBox } from './secret-box.js';
