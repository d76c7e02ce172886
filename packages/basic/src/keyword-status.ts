// General Bots keywords that Conduit's engine does not run (yet, or ever): each compiles to an
// error naming the keyword and saying why, never to a silent no-op or an "unknown SUB".

interface Unavailable {
  /** The keyword's words, upper case; a single word only counts where it cannot be a variable. */
  words: string[];
  why: string;
}

const notYet = (family: string) =>
  `is not built yet in Conduit (${family}, a later part of issue #19); remove it or run this script where it is built`;

const OUTSIDE_SERVICE =
  'is refused: it needs an outside service that Conduit does not run; map it to an integration connection in a workflow instead';

export const UNAVAILABLE_KEYWORDS: Unavailable[] = [
  ...['READ', 'WRITE', 'LIST', 'COPY', 'MOVE', 'UPLOAD', 'DOWNLOAD', 'COMPRESS', 'EXTRACT'].map((w) => ({
    words: [w],
    why: notYet('bot files'),
  })),
  { words: ['DELETE', 'FILE'], why: notYet('bot files') },
  { words: ['GENERATE', 'PDF'], why: notYet('bot files') },
  { words: ['MERGE', 'PDF'], why: notYet('bot files') },
  ...['PUT', 'PATCH', 'GRAPHQL', 'SOAP'].map((w) => ({ words: [w], why: notYet('HTTP keywords') })),
  { words: ['DELETE', 'HTTP'], why: notYet('HTTP keywords') },
  { words: ['SET', 'HEADER'], why: notYet('HTTP keywords') },
  { words: ['CLEAR', 'HEADERS'], why: notYet('HTTP keywords') },
  { words: ['CREATE', 'DRAFT'], why: notYet('mail and tasks') },
  { words: ['ADD', 'MEMBER'], why: notYet('mail and tasks') },
  { words: ['ON'], why: notYet('table events') },
  { words: ['WEBHOOK'], why: notYet('table events and webhooks') },
  { words: ['ADD', 'BOT'], why: notYet('multi-agent') },
  { words: ['DELEGATE'], why: notYet('multi-agent') },
  { words: ['TRANSFER', 'CONVERSATION'], why: notYet('multi-agent') },
  { words: ['BROADCAST'], why: notYet('multi-agent') },
  { words: ['SAVE', 'FROM'], why: notYet('AI helpers') },
  { words: ['USE', 'WEBSITE'], why: notYet('AI helpers') },
  { words: ['RUN', 'JAVASCRIPT'], why: notYet('sandboxed code') },
  { words: ['RUN', 'PYTHON'], why: notYet('sandboxed code') },
  { words: ['RUN', 'BASH'], why: notYet('sandboxed code') },
  { words: ['WEATHER'], why: OUTSIDE_SERVICE },
  { words: ['BOOK'], why: OUTSIDE_SERVICE },
  { words: ['CREATE', 'SITE'], why: OUTSIDE_SERVICE },
  { words: ['BOT', 'REFLECTION'], why: OUTSIDE_SERVICE },
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
