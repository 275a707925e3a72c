/** Parameter reading lives in the core, so REST and the WebSocket trade stream validate alike. */
export { Params } from '../core/params.js';
