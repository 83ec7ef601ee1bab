// Whether a channel's refusal of a message will pass (a rate limit, a 5xx, a timeout) and after how long, or is final.
import { CHANNEL_RETRIES_PER_MESSAGE, CHANNEL_RETRY_BACKOFF_SECONDS, CHANNEL_RETRY_MAX_WAIT_SECONDS } from '../limits';

export interface Refusal {
	/** The channel's words, as the workflow reported them (n8n's send nodes give the API's description). */
	reason: string;
	/** The wait the channel asked for, when the workflow read it itself (a `Retry-After` header). */
	retryAfterSeconds?: number;
}

export type RefusalOutcome = { retry: true; waitSeconds: number } | { retry: false; why?: string };

// Telegram "Too Many Requests: retry after 5", WhatsApp "(#130429) Rate limit hit", Twilio 20429, Slack "ratelimited".
const ASKED_WAIT = /retry[ _-]?after:?\s*(\d+)/i;
const RATE_LIMITED = /too many requests|rate[ _-]?limit|ratelimited|throttl|\b429\b|\b(?:130429|131056|80007|20429)\b/i;
// A server error or no answer at all: n8n's node error texts and the usual network error codes.
const WILL_PASS =
	/\b50[0-9]\b|internal server error|bad gateway|service unavailable|gateway time-?out|temporarily unavailable|timed? ?out|ETIMEDOUT|ESOCKETTIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|socket hang up|try again later/i;

/**
 * The one retry policy of messages to the contact: a refusal that will pass is sent again after the wait the channel
 * asked for (at least 1 s), or the backoff step when it named none, up to CHANNEL_RETRIES_PER_MESSAGE times and never
 * after more than CHANNEL_RETRY_MAX_WAIT_SECONDS; anything else (blocked, bad chat, too long) is final at once.
 */
export function refusalOutcome(refusal: Refusal, retriesSoFar: number): RefusalOutcome {
	const asked = refusal.retryAfterSeconds ?? askedWait(refusal.reason);
	const willPass = asked !== undefined || RATE_LIMITED.test(refusal.reason) || WILL_PASS.test(refusal.reason);
	if (!willPass) return { retry: false };
	if (retriesSoFar >= CHANNEL_RETRIES_PER_MESSAGE) return { retry: false, why: `still refused after ${retriesSoFar} retries (the limit)` };
	const waitSeconds = Math.max(1, Math.ceil(asked ?? CHANNEL_RETRY_BACKOFF_SECONDS[Math.min(retriesSoFar, CHANNEL_RETRY_BACKOFF_SECONDS.length - 1)]));
	if (waitSeconds > CHANNEL_RETRY_MAX_WAIT_SECONDS) {
		return { retry: false, why: `the channel asked to wait ${waitSeconds} s, longer than the ${CHANNEL_RETRY_MAX_WAIT_SECONDS} s limit` };
	}
	return { retry: true, waitSeconds };
}

function askedWait(reason: string): number | undefined {
	const match = ASKED_WAIT.exec(reason);
	return match ? Number(match[1]) : undefined;
}
