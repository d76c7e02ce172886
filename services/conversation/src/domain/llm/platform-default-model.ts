import type { Bus } from '@conduit/bus';
import { identityEvents } from '@conduit/contracts';
import type { Logger } from '@conduit/service-kit';
import { globalSettingsOf } from '../../clients/settings-client.js';

/** How long an answer of identity's settings is used before it is asked again. */
const FRESH_MS = 30_000;
/** After identity did not answer: how long until it is asked again (not on every reply). */
const RETRY_MS = 5_000;

/**
 * The platform's default chat model (identity's global settings, `defaultModel`): the model of a
 * reply whose user and bot name none. Asked over rpc.identity.settings.get and kept FRESH_MS;
 * once known, a stale value is answered at once while a fresh one is fetched beside it, so that
 * no reply waits on identity but the very first. When identity cannot answer, the last known
 * value stands (null before any: the offline model). `listen` follows identity.settings.changed, so a
 * change is used by the next reply; the TTL stays for changes published while NATS was away.
 */
export class PlatformDefaultModel {
  #value: string | null = null;
  #known = false;
  #nextFetchAt = 0;
  #fetching: Promise<void> | undefined;
  /** Settings events applied so far: a fetch that began before one of them is older than it. */
  #changes = 0;
  #lastChangeAt = '';

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

  /**
   * Follows identity.settings.changed on plain NATS (not a durable consumer: every process of the
   * service keeps its own copy, so each must hear every change). Answers how to stop listening.
   */
  listen(): { stop(): Promise<void> } {
    const subscription = this.bus.nc.subscribe(this.bus.subject(identityEvents.settingsChanged.subject), {
      callback: (error, message) => {
        if (error) return;
        const parsed = identityEvents.settingsChanged.envelope.safeParse(message.json());
        if (!parsed.success) {
          this.options.log.warn({ issues: parsed.error.issues }, 'a settings event was not understood');
          return;
        }
        this.applyChange(parsed.data.occurredAt, parsed.data.data.settings.defaultModel);
      },
    });
    return { stop: () => subscription.drain() };
  }

  /** A change identity announced (the settings as they are now): used at once, kept FRESH_MS. */
  applyChange(occurredAt: string, defaultModel: string | null): void {
    // A redelivered or reordered older event must not undo a newer one.
    if (occurredAt < this.#lastChangeAt) return;
    this.#lastChangeAt = occurredAt;
    this.#changes += 1;
    this.#value = defaultModel;
    this.#known = true;
    this.#nextFetchAt = Date.now() + FRESH_MS;
  }

  async #fetch(): Promise<void> {
    const changesBefore = this.#changes;
    try {
      const settings = await globalSettingsOf(this.bus, this.options.timeoutMs);
      // An event that arrived meanwhile is newer than this answer may be.
      if (this.#changes !== changesBefore) return;
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
