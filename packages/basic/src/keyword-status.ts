// General Bots keywords that Conduit's engine does not run (yet, or ever): each compiles to an
// error naming the keyword and saying why, never to a silent no-op or an "unknown SUB".

interface Unavailable {
  /** The keyword's words, upper case; a single word only counts where it cannot be a variable. */
  words: string[];
  why: string;
}

const OUTSIDE_SERVICE =
  'is refused: it needs an outside service that Conduit does not run; map it to an integration connection in a workflow instead';

export const UNAVAILABLE_KEYWORDS: Unavailable[] = [
  { words: ['WEATHER'], why: OUTSIDE_SERVICE },
  { words: ['BOOK'], why: OUTSIDE_SERVICE },
  { words: ['CREATE', 'SITE'], why: OUTSIDE_SERVICE },
  { words: ['BOT', 'REFLECTION'], why: OUTSIDE_SERVICE },
  {
    words: ['CREATE', 'TASK'],
    why: 'is refused: Conduit runs no task tracker; create the task in yours through an integration connection (POST under USE CONNECTION in an automation)',
  },
  {
    words: ['SYNCHRONIZE'],
    why: 'is refused: General Bots only plans it; page through the API with GET in a loop and MERGE the rows into a table',
  },
];

/** Keyword display names as General Bots writes them, where they differ from the words. */
const DISPLAY: Record<string, string> = {
  'SAVE FROM': 'SAVE FROM UNSTRUCTURED',
};

/**
 * The unavailable keyword that `words` (the upper-cased identifiers from the current token on)
 * start with, as an error message; null when they start none. `valueFollows` tells whether the
 * token after a one-word keyword starts a value (text, a number, a name): only then is a word like
 * LIST a keyword rather than a variable.
 */
export function unavailableKeyword(words: string[], valueFollows: boolean): string | null {
  for (const k of UNAVAILABLE_KEYWORDS) {
    if (k.words.length === 1 && !valueFollows) continue;
    if (k.words.every((w, i) => words[i] === w)) {
      const name = DISPLAY[k.words.join(' ')] ?? k.words.join(' ');
      return `${name} ${k.why}`;
    }
  }
  return null;
}

export const SET_USER_REFUSED =
  "SET USER is refused: a bot script always acts for the person talking to the bot (or the owner running an automation), and switching to another user would let it read and write that user's memories and facts without their consent";

/** What the server that runs a script offers beyond the engine, as its operator configured it. */
export interface KeywordOptions {
  /**
   * RUN PYTHON / RUN BASH: true where a sandbox runner is enabled, else the reason it is not (for
   * the script's author). Left out, they are refused: running code outside the isolate is opt-in.
   */
  commandRunners?: { python?: true | string; bash?: true | string };
}

/** Why RUN PYTHON or RUN BASH cannot run on this server, or null where it can. */
export function commandRunnerRefusal(language: 'python' | 'bash', options: KeywordOptions): string | null {
  const offered = options.commandRunners?.[language];
  if (offered === true) return null;
  const keyword = language === 'python' ? 'RUN PYTHON' : 'RUN BASH';
  return typeof offered === 'string'
    ? offered
    : `${keyword} is not available on this server: it needs a sandbox runner, which the operator enables with SANDBOX_RUNNER=bubblewrap`;
}
