import { type Bus, requestRpc } from '@conduit/bus';
import { getGlobalSettings } from '@conduit/contracts';
import type { Logger } from '@conduit/service-kit';

/** How long an answer of identity's settings is used before it is asked again. */
const FRESH_MS = 30_000;
/** After identity did not answer: how long until it is asked again (not on every reply). */
const RETRY_MS = 5_000;

/**
 * The platform's default chat model (identity's global settings, `defaultModel`): the model of a
 * reply whose user and bot name none. Asked over rpc.identity.settings.get and kept FRESH_MS;
 * once known, a stale value is answered at once while a fresh one is fetched beside it, so that
 * no reply waits on identity but the very first. When identity cannot answer, the last known
 * value stands (null before any: the offline model).
 */
export class PlatformDefaultModel {
  #value: string | null = null;
  #known = false;
  #nextFetchAt = 0;
  #fetching: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly options: { timeoutMs: number; log: Logger },
  ) {}

  async current(): Promise<string | null> {
    if (Date.now() >= this.#nextFetchAt && !this.#fetching)
      this.#fetching = this.#fetch().finally(() => {
        this.#fetching = undefined;
      });
    if (!this.#known && this.#fetching) await this.#fetching;
    return this.#value;
  }

  async #fetch(): Promise<void> {
    try {
      const settings = await requestRpc(
        this.bus,
        getGlobalSettings,
        {},
        { timeoutMs: this.options.timeoutMs },
      );
      this.#value = settings.defaultModel;
      this.#known = true;
      this.#nextFetchAt = Date.now() + FRESH_MS;
    } catch (error) {
      this.options.log.warn({ err: error }, 'the default chat model could not be read from identity');
      this.#known = true;
      this.#nextFetchAt = Date.now() + RETRY_MS;
    }
  }
}
