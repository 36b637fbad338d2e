/** What the platform decides for an arriving call; computed once per call. */
export interface RouteDecision {
  action: 'forward' | 'message' | 'flow' | 'queue';
  forward_to: string | null;
  message: { text: string; language: string } | null;
  flow_id: string | null;
}

export interface RoutedCall {
  call_id: string;
  decision: RouteDecision;
  continuity: boolean;
}

/** The inbound side of every telephony adapter asks this once per arriving call. */
export interface InboundRouter {
  route(call: { accountId: string; callId: string; from: string; to: string }): Promise<RoutedCall>;
}

/** The one outcome every call leg ends in (DESIGN.md, Telephony model). */
export type LegOutcome = 'answered' | 'busy' | 'no_answer' | 'invalid_number' | 'failed';

export type CallEvent =
  | { type: 'ringing'; at: string; leg?: string }
  | { type: 'answered'; at: string; leg?: string }
  | { type: 'played'; at: string; text: string; language: string }
  | { type: 'forwarded'; at: string; to: string }
  | { type: 'queued'; at: string; queue: string }
  | { type: 'flow'; at: string; flow_id: string }
  | { type: 'dtmf'; at: string; digits: string }
  | { type: 'busy'; at: string; leg?: string }
  | { type: 'no_answer'; at: string; leg?: string }
  | { type: 'invalid_number'; at: string; leg?: string }
  | { type: 'failed'; at: string; leg?: string; reason: string }
  | { type: 'hangup'; at: string; by: 'caller' | 'callee' | 'platform' }
  | { type: 'bridged'; at: string; to: string };

export type CallOutcome = LegOutcome | 'forwarded' | 'completed';

/**
 * Places calls on a telephone network (simulated or SIP). `dial` resolves with the leg's single
 * outcome (DESIGN.md: answered within the ring timeout, busy/rejected, invalid number, no answer,
 * failed); it never rejects for a call that merely did not connect. Progress events (ringing)
 * are reported through `onEvent` as they happen.
 */
export interface Telephony {
  dial(accountId: string, to: string, ringTimeoutS: number, onEvent: (event: CallEvent) => void): Promise<LegOutcome>;
}

/** Something said to an answered leg, in one language. */
export interface Announcement {
  text: string;
  language: string;
}

/** When a prompt stops collecting keys. */
export interface DigitLimits {
  maxDigits: number;
  terminator: string | null;
  timeoutS: number;
}

/**
 * What the platform does with legs it has dialled and that answered: speak to them, read the
 * keys pressed, and join two of them. Like `dial`, these never reject for a party that simply
 * hangs up or presses nothing.
 */
export interface CallControl extends Telephony {
  /** Speaks `announcement` on the answered leg to `to`; resolves when it has been spoken. */
  play(accountId: string, to: string, announcement: Announcement): Promise<void>;
  /**
   * Speaks `announcement`, then waits up to `timeoutS` for one DTMF key; resolves to the key
   * pressed, or null when none was. `keysUsed`: keys the call already gave earlier prompts (a
   * scripted phone answers each prompt with its next keys).
   */
  promptDigit(accountId: string, to: string, announcement: Announcement, timeoutS: number, keysUsed?: number): Promise<string | null>;
  /**
   * Speaks `announcement`, then collects keys until `maxDigits` are pressed, the terminator is
   * pressed (not included in `digits`) or `timeoutS` passes without a key; resolves to the keys
   * (possibly none) and how many were pressed, the terminator included.
   */
  collectDigits(accountId: string, to: string, announcement: Announcement, limits: DigitLimits, keysUsed?: number): Promise<{ digits: string; pressed: number }>;
  /**
   * Speaks `announcement`, then listens up to `timeoutS` for speech; resolves to its
   * transcription, or null when the party said nothing. With `maxSpeechS`, speech is cut off
   * (and transcribed as far as it got) once it has lasted that long.
   */
  listen(accountId: string, to: string, announcement: Announcement, timeoutS: number, maxSpeechS?: number): Promise<string | null>;
  /** Joins the answered legs to `customer` and `agent`; resolves when either party hangs up. */
  bridge(accountId: string, customer: string, agent: string): Promise<void>;
}
